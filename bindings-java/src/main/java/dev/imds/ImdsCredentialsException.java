package dev.imds;

/**
 * IMDS answered with an error document (such as {@code AssumeRoleUnauthorizedAccess}) instead of
 * role credentials.
 */
public class ImdsCredentialsException extends ImdsException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   */
  public ImdsCredentialsException(String message) {
    this(message, -1);
  }

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   * @param statusCode the HTTP status IMDS answered with, or a negative number when it did not
   */
  public ImdsCredentialsException(String message, int statusCode) {
    super(ErrorKind.CREDENTIALS_ERROR, message, statusCode);
  }
}
