package dev.imds;

/** The answer was larger than the configured {@code maxResponseSize}. */
public class ImdsResponseTooLargeException extends ImdsException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   */
  public ImdsResponseTooLargeException(String message) {
    this(message, -1);
  }

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   * @param statusCode the HTTP status IMDS answered with, or a negative number when it did not
   */
  public ImdsResponseTooLargeException(String message, int statusCode) {
    super(ErrorKind.RESPONSE_TOO_LARGE, message, statusCode);
  }
}
