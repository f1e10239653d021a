/**
 * A secure, fast client for the EC2 Instance Metadata Service (IMDSv2).
 *
 * <p>Start with {@link dev.imds.ImdsClient#builder()}. Results are immutable records ({@link
 * dev.imds.IdentityDocument}, {@link dev.imds.Credentials}, ...) whose {@code toString()} never
 * shows a secret; failures are {@link dev.imds.ImdsException} subclasses, one per {@link
 * dev.imds.ErrorKind}; audit events go to the {@link System.Logger} named {@code dev.imds.audit}.
 *
 * <p>The jar carries the native core for the platforms it was built on and loads it by itself.
 */
package dev.imds;
