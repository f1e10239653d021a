package dev.imds;

import java.util.OptionalInt;

/**
 * The base of every failure of an IMDS call: unchecked, with a stable {@link #code()} and the HTTP
 * {@link #statusCode()} when IMDS answered.
 *
 * <p>Each {@link ErrorKind} has a subclass, so one {@code catch (ImdsException e)} handles every
 * failure and {@code catch (ImdsNotFoundException e)} just one kind. Messages say what happened and
 * what to do, and never contain a token, secret key, session token or user-data.
 *
 * <p>Arguments that Java code can judge on the spot (null, a negative duration, a token TTL out of
 * range) are refused with {@link NullPointerException} or {@link IllegalArgumentException} before
 * anything reaches the core, as any Java method would. What only the core can judge (the syntax of
 * a path or endpoint URL, a value read from the environment or a profile) is an {@link
 * ImdsInvalidInputException}, code 1, as in every other language.
 */
public class ImdsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorKind kind;
  private final int statusCode;

  /**
   * Creates an exception of {@code kind}.
   *
   * @param kind the category
   * @param message what happened and what to do
   * @param statusCode the HTTP status IMDS answered with, or a negative number when it did not
   */
  protected ImdsException(ErrorKind kind, String message, int statusCode) {
    super(message);
    this.kind = kind;
    this.statusCode = statusCode;
  }

  /** The category of the failure. */
  public ErrorKind kind() {
    return kind;
  }

  /** The stable numeric code of the failure's kind, identical in every language. */
  public int code() {
    return kind.code();
  }

  /** The HTTP status of IMDS's last answer, when it answered at all. */
  public OptionalInt statusCode() {
    return statusCode < 0 ? OptionalInt.empty() : OptionalInt.of(statusCode);
  }

  /** The subclass for {@code code}: the one place codes become exception classes. */
  static ImdsException fromNative(int code, int statusCode, String message) {
    switch (ErrorKind.fromCode(code)) {
      case INVALID_INPUT:
        return new ImdsInvalidInputException(message, statusCode);
      case DISABLED:
        return new ImdsDisabledException(message, statusCode);
      case UNREACHABLE:
        return new ImdsUnreachableException(message, statusCode);
      case TIMEOUT:
        return new ImdsTimeoutException(message, statusCode);
      case BAD_REQUEST:
        return new ImdsBadRequestException(message, statusCode);
      case UNAUTHORIZED:
        return new ImdsUnauthorizedException(message, statusCode);
      case FORBIDDEN:
        return new ImdsForbiddenException(message, statusCode);
      case NOT_FOUND:
        return new ImdsNotFoundException(message, statusCode);
      case THROTTLED:
        return new ImdsThrottledException(message, statusCode);
      case SERVER_ERROR:
        return new ImdsServerErrorException(message, statusCode);
      case INVALID_RESPONSE:
        return new ImdsInvalidResponseException(message, statusCode);
      case RESPONSE_TOO_LARGE:
        return new ImdsResponseTooLargeException(message, statusCode);
      case CANCELLED:
        return new ImdsCancelledException(message, statusCode);
      case SIGNATURE_INVALID:
        return new ImdsSignatureInvalidException(message, statusCode);
      case CREDENTIALS_ERROR:
        return new ImdsCredentialsException(message, statusCode);
      case INTERNAL:
      default:
        if (code != ErrorKind.INTERNAL.code()) {
          message = "unknown error code " + code + " from the native library: " + message;
        }
        return new ImdsInternalException(message, statusCode);
    }
  }
}
