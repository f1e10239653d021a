package dev.imds;

/**
 * A bug in the client, such as a caught panic in native code; the JVM keeps running. Please report
 * it.
 */
public class ImdsInternalException extends ImdsException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   */
  public ImdsInternalException(String message) {
    this(message, -1);
  }

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   * @param statusCode the HTTP status IMDS answered with, or a negative number when it did not
   */
  public ImdsInternalException(String message, int statusCode) {
    super(ErrorKind.INTERNAL, message, statusCode);
  }
}
