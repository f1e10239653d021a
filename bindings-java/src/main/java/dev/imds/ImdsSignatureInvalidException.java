package dev.imds;

/** The instance identity document failed signature verification. */
public class ImdsSignatureInvalidException extends ImdsException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   */
  public ImdsSignatureInvalidException(String message) {
    this(message, -1);
  }

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   * @param statusCode the HTTP status IMDS answered with, or a negative number when it did not
   */
  public ImdsSignatureInvalidException(String message, int statusCode) {
    super(ErrorKind.SIGNATURE_INVALID, message, statusCode);
  }
}
