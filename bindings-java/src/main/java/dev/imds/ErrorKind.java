package dev.imds;

/**
 * What went wrong, as a stable category shared by every language of the client.
 *
 * <p>The numeric {@link #code()} is part of the public contract: once released, a code is never
 * reused or renumbered. Each kind has its own {@link ImdsException} subclass.
 */
public enum ErrorKind {
  /** A bad argument: path, endpoint, mode or another setting. No request was sent. */
  INVALID_INPUT(1, "invalid_input"),
  /** IMDS is turned off by configuration. No request was sent. */
  DISABLED(2, "disabled"),
  /** The connection was refused or could not be made in time: most likely not on EC2. */
  UNREACHABLE(3, "unreachable"),
  /** No answer arrived in time. */
  TIMEOUT(4, "timeout"),
  /** IMDS answered 400. */
  BAD_REQUEST(5, "bad_request"),
  /** IMDS answered 401 even with a freshly fetched token. */
  UNAUTHORIZED(6, "unauthorized"),
  /** IMDS answered 403: the endpoint is off for this instance, or the request was refused. */
  FORBIDDEN(7, "forbidden"),
  /** IMDS answered 404: the path, role, user-data or notice is not there. */
  NOT_FOUND(8, "not_found"),
  /** IMDS answered 429 on every attempt. */
  THROTTLED(9, "throttled"),
  /** IMDS answered 5xx on every attempt. */
  SERVER_ERROR(10, "server_error"),
  /** The answer could not be understood: a malformed body, JSON document or header. */
  INVALID_RESPONSE(11, "invalid_response"),
  /** The body was larger than the configured limit. */
  RESPONSE_TOO_LARGE(12, "response_too_large"),
  /** The caller cancelled the call. */
  CANCELLED(13, "cancelled"),
  /** The identity document failed signature verification. */
  SIGNATURE_INVALID(14, "signature_invalid"),
  /** IMDS answered with an error document instead of role credentials. */
  CREDENTIALS_ERROR(15, "credentials_error"),
  /** A bug in the client, such as a caught panic in native code. Please report it. */
  INTERNAL(99, "internal");

  private final int code;
  private final String wireName;

  ErrorKind(int code, String wireName) {
    this.code = code;
    this.wireName = wireName;
  }

  /** The stable numeric code, identical in every language. */
  public int code() {
    return code;
  }

  /** The name shared by every language, such as {@code not_found}. */
  public String wireName() {
    return wireName;
  }

  /** The kind with {@code code}, or {@link #INTERNAL} for a code this version does not know. */
  public static ErrorKind fromCode(int code) {
    for (ErrorKind kind : values()) {
      if (kind.code == code) {
        return kind;
      }
    }
    return INTERNAL;
  }
}
