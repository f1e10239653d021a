package bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Benchmark runner for the Java clients: the AWS SDK for Java v2 ({@link SdkSubject}) and this
 * project's binding, {@code dev.imds.ImdsClient} ({@code ImdsSubject}).
 *
 * <pre>java bench.Runner CLIENT WORKLOAD ENDPOINT CONCURRENCY AMOUNT</pre>
 *
 * <p>Prints one JSON line; the protocol is in bench/README.md. Concurrency is platform
 * threads sharing one client.
 */
public final class Runner {
    /** Mutable on EC2, so no client may answer it from a cache. */
    static final String READ_PATH = "local-ipv4";

    private Runner() {}

    /** Runs one workload and prints its JSON line. */
    public static void main(String[] args) throws Exception {
        long processStart = System.nanoTime();
        if (args.length != 5) {
            System.err.println("usage: Runner CLIENT WORKLOAD ENDPOINT CONCURRENCY AMOUNT");
            System.exit(2);
        }
        String workload = args[1];
        String endpoint = args[2].replaceAll("/+$", "");
        int concurrency = Integer.parseInt(args[3]);
        int amount = Integer.parseInt(args[4]);

        Subject client = open(args[0], endpoint, workload.equals("creds"));
        Callable<Object> read = client::read;
        Callable<Object> creds = client::credentials;

        String out;
        switch (workload) {
            case "read", "creds" ->
                    out = hammer(workload.equals("creds") ? creds : read, concurrency, amount);
            case "cold" -> {
                String error = attempt(read);
                long firstValue = System.nanoTime() - processStart;
                out = "{\"first_value_ns\":" + firstValue + ",\"ok\":" + (error == null)
                        + ",\"error\":" + (error == null ? "null" : json(error)) + "}";
            }
            case "offline" -> {
                List<String> calls = new ArrayList<>();
                List<String> outcomes = new ArrayList<>();
                for (int i = 0; i < amount; i++) {
                    long started = System.nanoTime();
                    String error = attempt(read);
                    calls.add(Long.toString(System.nanoTime() - started));
                    outcomes.add(json(error == null ? "ok" : error));
                }
                out = "{\"calls_ns\":[" + String.join(",", calls) + "],\"outcomes\":["
                        + String.join(",", outcomes) + "]}";
            }
            default -> {
                System.err.println("unknown workload " + workload);
                System.exit(2);
                return;
            }
        }
        // Peak RSS is measured here: the harness's wait4 figure would include its own memory.
        System.out.println("{\"hwm_kb\":" + hwmKb() + "," + out.substring(1));
        client.close();
        // The SDK's credentials provider keeps a prefetch thread; the measurement is over.
        System.exit(0);
    }

    /**
     * The client named on the command line, built with its library defaults and only the
     * endpoint set.
     */
    private static Subject open(String name, String endpoint, boolean credentials)
            throws Exception {
        switch (name) {
            case "awssdk-java-v2":
                return new SdkSubject(endpoint, credentials);
            case "imds":
                // Found by name: ImdsSubject is compiled only when our jar built (pom.xml,
                // profile imds-binding), so the peer runs without it. Only the construction
                // is reflective; every call goes through the Subject interface.
                return Class.forName("bench.ImdsSubject")
                        .asSubclass(Subject.class)
                        .getConstructor(String.class)
                        .newInstance(endpoint);
            default:
                System.err.println("unknown client " + name);
                System.exit(2);
                throw new IllegalStateException();
        }
    }

    private static long hwmKb() throws java.io.IOException {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.substring(6).replace("kB", "").trim());
            }
        }
        return 0;
    }

    private static String attempt(Callable<Object> call) {
        try {
            call.call();
            return null;
        } catch (Exception e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    /** What one worker observed. */
    private static final class Worker extends Thread {
        private final Callable<Object> call;
        private final long warmUntil;
        private final long end;
        private long[] latencies = new long[1024];
        private int count;
        private int errors;
        private int warmOps;
        private String firstError;

        Worker(Callable<Object> call, long warmUntil, long end) {
            this.call = call;
            this.warmUntil = warmUntil;
            this.end = end;
        }

        @Override
        public void run() {
            while (System.nanoTime() < warmUntil) {
                attempt(call);
                warmOps++;
            }
            while (true) {
                long started = System.nanoTime();
                if (started >= end) {
                    return;
                }
                String error = attempt(call);
                if (error != null) {
                    errors++;
                    if (firstError == null) {
                        firstError = error;
                    }
                    continue;
                }
                if (count == latencies.length) {
                    latencies = java.util.Arrays.copyOf(latencies, count * 2);
                }
                latencies[count++] = System.nanoTime() - started;
            }
        }
    }

    private static String hammer(Callable<Object> call, int concurrency, int durationMs)
            throws InterruptedException {
        // One untimed call first: class loading and lazy initialisation take hundreds of
        // milliseconds on a cold JVM and must not eat into the warm-up or the window.
        attempt(call);
        long duration = durationMs * 1_000_000L;
        long warmUntil = System.nanoTime() + duration / 4;
        long end = warmUntil + duration;
        List<Worker> workers = new ArrayList<>();
        for (int i = 0; i < concurrency; i++) {
            Worker w = new Worker(call, warmUntil, end);
            workers.add(w);
            w.start();
        }
        StringBuilder lat = new StringBuilder();
        int ops = 0;
        int errors = 0;
        int warmOps = 0;
        String firstError = null;
        for (Worker w : workers) {
            w.join();
            for (int i = 0; i < w.count; i++) {
                if (lat.length() > 0) {
                    lat.append(',');
                }
                lat.append(w.latencies[i]);
            }
            ops += w.count;
            errors += w.errors;
            warmOps += w.warmOps;
            if (firstError == null) {
                firstError = w.firstError;
            }
        }
        return "{\"ops\":" + ops + ",\"errors\":" + errors + ",\"warm_ops\":" + warmOps
                + ",\"elapsed_s\":"
                + (durationMs / 1000.0) + ",\"first_error\":"
                + (firstError == null ? "null" : json(firstError)) + ",\"lat_ns\":[" + lat
                + "]}";
    }

    private static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
