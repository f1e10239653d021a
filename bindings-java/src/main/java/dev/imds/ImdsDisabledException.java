package dev.imds;

/**
 * IMDS is turned off by configuration ({@code AWS_EC2_METADATA_DISABLED} or {@code
 * disabled(true)}). No request was sent.
 */
public class ImdsDisabledException extends ImdsException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   */
  public ImdsDisabledException(String message) {
    this(message, -1);
  }

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   * @param statusCode the HTTP status IMDS answered with, or a negative number when it did not
   */
  public ImdsDisabledException(String message, int statusCode) {
    super(ErrorKind.DISABLED, message, statusCode);
  }
}
