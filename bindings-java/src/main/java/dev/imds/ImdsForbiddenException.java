package dev.imds;

/** IMDS answered 403: the endpoint is off for this instance, or the request was refused. */
public class ImdsForbiddenException extends ImdsException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   */
  public ImdsForbiddenException(String message) {
    this(message, -1);
  }

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   * @param statusCode the HTTP status IMDS answered with, or a negative number when it did not
   */
  public ImdsForbiddenException(String message, int statusCode) {
    super(ErrorKind.FORBIDDEN, message, statusCode);
  }
}
