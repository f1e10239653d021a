package dev.imds;

/**
 * A bad argument that only the core can judge: a path, endpoint URL or mode, or a value read from
 * the environment or a profile. No request was sent.
 */
public class ImdsInvalidInputException extends ImdsException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   */
  public ImdsInvalidInputException(String message) {
    this(message, -1);
  }

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   * @param statusCode the HTTP status IMDS answered with, or a negative number when it did not
   */
  public ImdsInvalidInputException(String message, int statusCode) {
    super(ErrorKind.INVALID_INPUT, message, statusCode);
  }
}
