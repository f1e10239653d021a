package bench;

/** One client under test: the two calls the workloads make, and its release. */
interface Subject extends AutoCloseable {
    /** Reads {@link Runner#READ_PATH} over the wire; the value itself is not used. */
    Object read() throws Exception;

    /** Reads the role credentials as a credentials provider does; never printed. */
    Object credentials() throws Exception;
}
