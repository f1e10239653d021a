package dev.imds;

/** IMDS did not answer in time; the message names the hop-limit cause when it can tell. */
public class ImdsTimeoutException extends ImdsException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   */
  public ImdsTimeoutException(String message) {
    this(message, -1);
  }

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   * @param statusCode the HTTP status IMDS answered with, or a negative number when it did not
   */
  public ImdsTimeoutException(String message, int statusCode) {
    super(ErrorKind.TIMEOUT, message, statusCode);
  }
}
