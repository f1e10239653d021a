package dev.imds;

/** The connection was refused or could not be made in time: most likely not running on EC2. */
public class ImdsUnreachableException extends ImdsException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   */
  public ImdsUnreachableException(String message) {
    this(message, -1);
  }

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   * @param statusCode the HTTP status IMDS answered with, or a negative number when it did not
   */
  public ImdsUnreachableException(String message, int statusCode) {
    super(ErrorKind.UNREACHABLE, message, statusCode);
  }
}
