package dev.imds;

/** IMDS answered 400: it rejected the request as malformed. */
public class ImdsBadRequestException extends ImdsException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   */
  public ImdsBadRequestException(String message) {
    this(message, -1);
  }

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   * @param statusCode the HTTP status IMDS answered with, or a negative number when it did not
   */
  public ImdsBadRequestException(String message, int statusCode) {
    super(ErrorKind.BAD_REQUEST, message, statusCode);
  }
}
