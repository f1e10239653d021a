package bench;

import java.net.URI;
import software.amazon.awssdk.auth.credentials.InstanceProfileCredentialsProvider;
import software.amazon.awssdk.imds.Ec2MetadataClient;

/**
 * The Java peer: {@code Ec2MetadataClient} of the AWS SDK for Java v2, with the SDK's default
 * HTTP client, and its {@code InstanceProfileCredentialsProvider}.
 */
final class SdkSubject implements Subject {
    /** The SDK takes the full path. */
    private static final String PATH = "/latest/meta-data/" + Runner.READ_PATH;

    private final Ec2MetadataClient client;
    private final InstanceProfileCredentialsProvider provider;

    SdkSubject(String endpoint, boolean credentials) {
        // Defaults as the SDK builds them; only the endpoint differs.
        client = Ec2MetadataClient.builder().endpoint(URI.create(endpoint)).build();
        // Built only for the credentials workload: it starts a prefetch thread of its own.
        provider = credentials
                ? InstanceProfileCredentialsProvider.builder().endpoint(endpoint).build()
                : null;
    }

    @Override
    public Object read() {
        return client.get(PATH).asString();
    }

    @Override
    public Object credentials() {
        return provider.resolveCredentials();
    }

    @Override
    public void close() {
        client.close();
    }
}
