package dev.imds;

/**
 * The call was cancelled.
 *
 * <p>A cancelled {@link java.util.concurrent.CompletableFuture} reports {@link
 * java.util.concurrent.CancellationException}, as every future does; this kind is for cancellations
 * the caller did not make through the future.
 */
public class ImdsCancelledException extends ImdsException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   */
  public ImdsCancelledException(String message) {
    this(message, -1);
  }

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do
   * @param statusCode the HTTP status IMDS answered with, or a negative number when it did not
   */
  public ImdsCancelledException(String message, int statusCode) {
    super(ErrorKind.CANCELLED, message, statusCode);
  }
}
