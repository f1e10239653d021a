package dev.imds;

/** IMDS answered 401 even with a freshly fetched session token. */
public class ImdsUnauthorizedException extends ImdsException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   */
  public ImdsUnauthorizedException(String message) {
    this(message, -1);
  }

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   * @param statusCode the HTTP status IMDS answered with, or a negative number when it did not
   */
  public ImdsUnauthorizedException(String message, int statusCode) {
    super(ErrorKind.UNAUTHORIZED, message, statusCode);
  }
}
