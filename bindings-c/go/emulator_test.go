package imds

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The emulator every test talks to, started once as a child process.
var emulator struct {
	Endpoint string `json:"endpoint"`
	Admin    string `json:"admin"`
}

func TestMain(m *testing.M) {
	os.Exit(runWithEmulator(m))
}

func runWithEmulator(m *testing.M) int {
	bin := os.Getenv("IMDS_EMULATOR_BIN")
	if bin == "" {
		bin = "../../target/debug/imds-emulator"
	}
	cmd := exec.Command(bin, "--port", "0", "--admin-port", "0", "--exit-on-stdin-eof",
		"--log-level", "error")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "emulator stdin:", err)
		return 2
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "emulator stdout:", err)
		return 2
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "cannot start the emulator %s (set IMDS_EMULATOR_BIN; "+
			"`make build-emulator` builds it): %v\n", bin, err)
		return 2
	}
	defer func() {
		// Closing its stdin ends the emulator.
		_ = stdin.Close()
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err == nil {
		err = json.Unmarshal([]byte(line), &emulator)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "emulator ready line:", err, line)
		return 2
	}
	// The examples find the emulator the way programs find IMDS anywhere else.
	os.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", emulator.Endpoint)
	os.Setenv("AWS_CONFIG_FILE", os.DevNull)
	return m.Run()
}

// admin sends one request to the emulator's admin API and fails the test unless it
// answers 200; it returns the body.
func admin(t testing.TB, method, path, body string) string {
	t.Helper()
	req, err := http.NewRequest(method, emulator.Admin+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("admin %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("admin %s %s: %d %s", method, path, resp.StatusCode, data)
	}
	return string(data)
}

// counter reads one number from the admin API's /counters document.
func counter(t testing.TB, name string) int64 {
	t.Helper()
	var counters map[string]any
	if err := json.Unmarshal([]byte(admin(t, "GET", "/counters", "")), &counters); err != nil {
		t.Fatal(err)
	}
	value, _ := counters[name].(float64)
	return int64(value)
}

// faults sets emulator faults for the rest of the test.
func faults(t testing.TB, document string) {
	t.Helper()
	admin(t, "PUT", "/faults", document)
	t.Cleanup(func() { admin(t, "DELETE", "/faults", "") })
}

// newClient is a client for the emulator, with quick retries, closed after the test.
func newClient(t testing.TB, opts Options) *Client {
	t.Helper()
	if opts.Endpoint == "" {
		opts.Endpoint = emulator.Endpoint
	}
	if opts.Environment == nil {
		opts.Environment = map[string]string{}
	}
	if opts.BackoffBase == 0 {
		opts.BackoffBase, opts.BackoffMax = time.Millisecond, 5*time.Millisecond
	}
	client, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}
