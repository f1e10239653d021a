package dev.imds;

/** IMDS answered 404: the path, role, user-data or notice does not exist on this instance. */
public class ImdsNotFoundException extends ImdsException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   */
  public ImdsNotFoundException(String message) {
    this(message, -1);
  }

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   * @param statusCode the HTTP status IMDS answered with, or a negative number when it did not
   */
  public ImdsNotFoundException(String message, int statusCode) {
    super(ErrorKind.NOT_FOUND, message, statusCode);
  }
}
