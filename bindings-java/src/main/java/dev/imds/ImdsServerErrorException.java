package dev.imds;

/** IMDS answered 5xx on every attempt. */
public class ImdsServerErrorException extends ImdsException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   */
  public ImdsServerErrorException(String message) {
    this(message, -1);
  }

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   * @param statusCode the HTTP status IMDS answered with, or a negative number when it did not
   */
  public ImdsServerErrorException(String message, int statusCode) {
    super(ErrorKind.SERVER_ERROR, message, statusCode);
  }
}
