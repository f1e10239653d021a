package bench;

import dev.imds.ImdsClient;

/**
 * This project's Java binding, {@code dev.imds.ImdsClient}, from the jar `make bench` builds with
 * the release JNI library inside.
 */
final class ImdsSubject implements Subject {
    private final ImdsClient client;

    /** Public and taking the endpoint alone: {@link Runner} builds it by name. */
    public ImdsSubject(String endpoint) {
        // Library defaults; only the endpoint differs.
        client = ImdsClient.builder().endpoint(endpoint).build();
    }

    @Override
    public Object read() {
        return client.getMetadata(Runner.READ_PATH);
    }

    @Override
    public Object credentials() {
        return client.credentials();
    }

    @Override
    public void close() {
        client.close();
    }
}
