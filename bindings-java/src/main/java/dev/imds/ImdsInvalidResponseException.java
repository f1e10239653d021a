package dev.imds;

/** IMDS sent an answer that could not be understood: a malformed body, JSON document or header. */
public class ImdsInvalidResponseException extends ImdsException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   */
  public ImdsInvalidResponseException(String message) {
    this(message, -1);
  }

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   * @param statusCode the HTTP status IMDS answered with, or a negative number when it did not
   */
  public ImdsInvalidResponseException(String message, int statusCode) {
    super(ErrorKind.INVALID_RESPONSE, message, statusCode);
  }
}
