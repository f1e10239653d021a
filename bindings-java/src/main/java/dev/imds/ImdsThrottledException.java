package dev.imds;

/** IMDS answered 429 on every attempt: cache results and call less often. */
public class ImdsThrottledException extends ImdsException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   */
  public ImdsThrottledException(String message) {
    this(message, -1);
  }

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   * @param statusCode the HTTP status IMDS answered with, or a negative number when it did not
   */
  public ImdsThrottledException(String message, int statusCode) {
    super(ErrorKind.THROTTLED, message, statusCode);
  }
}
