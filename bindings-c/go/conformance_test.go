package imds_test

// The Go runner of the language-neutral conformance scenarios in tests/conformance/
// (the format is that folder's README). Every scenario runs against a fresh emulator,
// through the package's public API only, and is checked exactly as the Rust runner
// (core/tests/conformance.rs) checks it. Anything the format does not define fails the
// scenario, so a new kind of step or expectation cannot be skipped silently.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	imds "example.invalid/imds/bindings-c/go"
)

// scenarioDir holds the scenarios; IMDS_CONFORMANCE_DIR points elsewhere, such as at
// a copy with a scenario broken on purpose to see the runner fail.
func scenarioDir() string {
	if dir := os.Getenv("IMDS_CONFORMANCE_DIR"); dir != "" {
		return dir
	}
	return "../../tests/conformance"
}

// knownDivergences are steps where the Go API cannot say what a scenario says, keyed
// "scenario/step N". Such a step must still fail, so that the entry is removed as soon
// as the difference is gone.
var knownDivergences = map[string]string{
	// Options' zero value means "not set", so a Go program cannot ask for a zero TTL
	// or zero attempts: the client builds with the default instead of failing.
	"invalid_settings_are_invalid_input/step 0": "TokenTTL: 0 is the default, not an error",
	"invalid_settings_are_invalid_input/step 2": "MaxAttempts: 0 is the default, not an error",
}

// TestConformance runs every scenario file as a subtest named after it. The core
// reads the process environment when a client is built, so scenarios run one after
// the other, never in parallel.
func TestConformance(t *testing.T) {
	dir := scenarioDir()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) < 25 {
		t.Fatalf("only %d scenarios in %s", len(files), dir)
	}
	names := map[string]bool{}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		names[name] = true
		t.Run(name, func(t *testing.T) { runScenario(t, name, file) })
	}
	for key := range knownDivergences {
		if scenario, _, _ := strings.Cut(key, "/"); !names[scenario] {
			t.Errorf("known divergence %q names no scenario", key)
		}
	}
}

// object is a decoded JSON object; values are what encoding/json gives for any.
type object = map[string]any

// emulator is one imds-emulator child process.
type emulator struct {
	Endpoint string `json:"endpoint"`
	Admin    string `json:"admin"`
}

var adminClient = &http.Client{
	Transport: &http.Transport{DisableKeepAlives: true},
	Timeout:   30 * time.Second,
}

// startEmulator starts a fresh emulator on free ports and stops it after the test.
func startEmulator(t *testing.T) *emulator {
	t.Helper()
	bin := os.Getenv("IMDS_EMULATOR_BIN")
	if bin == "" {
		bin = "../../target/debug/imds-emulator"
	}
	cmd := exec.Command(bin, "--port", "0", "--admin-port", "0", "--exit-on-stdin-eof",
		"--log-level", "error")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start the emulator %s (make build-emulator): %v", bin, err)
	}
	t.Cleanup(func() {
		// Closing its stdin ends the emulator.
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	emu := &emulator{}
	if err == nil {
		err = json.Unmarshal([]byte(line), emu)
	}
	if err != nil || emu.Endpoint == "" || emu.Admin == "" {
		t.Fatalf("emulator ready line %q: %v", line, err)
	}
	return emu
}

// admin sends one admin request: an object body as JSON, a string as it is. A non-2xx
// answer is a broken scenario, not a client failure, and ends the test.
func (e *emulator) admin(t *testing.T, method, path string, body any) []byte {
	t.Helper()
	var payload string
	switch b := body.(type) {
	case nil:
	case string:
		payload = b
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		payload = string(data)
	}
	req, err := http.NewRequest(method, e.Admin+path, strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := adminClient.Do(req)
	if err != nil {
		t.Fatalf("admin %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("admin %s %s: %v", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		t.Fatalf("admin %s %s failed: %d %s", method, path, resp.StatusCode, data)
	}
	return data
}

// closedPortEndpoint is a loopback endpoint where nothing listens.
func closedPortEndpoint(t *testing.T) string {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + listener.Addr().String()
	_ = listener.Close()
	return endpoint
}

// keys fails the test when m has a key that allowed does not list.
func keys(t *testing.T, what string, m object, allowed ...string) {
	t.Helper()
	for key := range m {
		if !contains(allowed, key) {
			t.Fatalf("unknown %s key %q (known: %s)", what, key, strings.Join(allowed, ", "))
		}
	}
}

func contains(list []string, item string) bool {
	for _, entry := range list {
		if entry == item {
			return true
		}
	}
	return false
}

func asObject(t *testing.T, what string, v any) object {
	t.Helper()
	if v == nil {
		return object{}
	}
	m, ok := v.(object)
	if !ok {
		t.Fatalf("%s must be an object, not %v", what, v)
	}
	return m
}

func asString(t *testing.T, what string, v any) string {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%s must be a string, not %v", what, v)
	}
	return s
}

func asNumber(t *testing.T, what string, v any) float64 {
	t.Helper()
	n, ok := v.(float64)
	if !ok {
		t.Fatalf("%s must be a number, not %v", what, v)
	}
	return n
}

func asBool(t *testing.T, what string, v any) bool {
	t.Helper()
	b, ok := v.(bool)
	if !ok {
		t.Fatalf("%s must be true or false, not %v", what, v)
	}
	return b
}

func asCount(t *testing.T, what string, v any) int {
	t.Helper()
	n := asNumber(t, what, v)
	if n < 0 || n != math.Trunc(n) || n > math.MaxInt32 {
		t.Fatalf("%s must be a whole number, not %v", what, v)
	}
	return int(n)
}

func seconds(t *testing.T, what string, v any) time.Duration {
	t.Helper()
	return time.Duration(math.Round(asNumber(t, what, v) * float64(time.Second)))
}

// clientSpec is what a scenario's clients are built from: the scenario's "client"
// object, which a build step's options override key by key.
type clientSpec struct {
	spec        object
	emu         *emulator
	profileFile string
}

// setEnvironment leaves exactly the scenario's AWS_* variables in the process
// environment.
func setEnvironment(t *testing.T, vars map[string]string) {
	t.Helper()
	for _, entry := range os.Environ() {
		name, _, _ := strings.Cut(entry, "=")
		if strings.HasPrefix(name, "AWS_") {
			if err := os.Unsetenv(name); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, value := range vars {
		if err := os.Setenv(name, value); err != nil {
			t.Fatal(err)
		}
	}
}

// restoreEnvironmentAfter puts the process's AWS_* variables back when t ends.
func restoreEnvironmentAfter(t *testing.T) {
	saved := map[string]string{}
	for _, entry := range os.Environ() {
		name, value, _ := strings.Cut(entry, "=")
		if strings.HasPrefix(name, "AWS_") {
			saved[name] = value
		}
	}
	t.Cleanup(func() { setEnvironment(t, saved) })
}

// build sets the environment and profile file for a client, then builds it.
func (c *clientSpec) build(t *testing.T, overrides object) (*imds.Client, error) {
	t.Helper()
	pick := func(key string) any {
		if v, ok := overrides[key]; ok {
			return v
		}
		return c.spec[key]
	}
	endpointFrom := "code"
	if v := pick("endpoint_from"); v != nil {
		endpointFrom = asString(t, "endpoint_from", v)
	}
	profile := ""
	if v := pick("profile"); v != nil {
		profile = asString(t, "profile", v)
	}
	env := map[string]string{}
	for name, value := range asObject(t, "env", pick("env")) {
		env[name] = asString(t, "env "+name, value)
	}

	var opts imds.Options
	switch endpointFrom {
	case "code":
		opts.Endpoint = c.emu.Endpoint
	case "env":
		env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = c.emu.Endpoint
	case "profile":
		if !strings.Contains(profile, "[default]") {
			profile += "\n[default]\n"
		}
		profile = strings.Replace(profile, "[default]\n",
			"[default]\nec2_metadata_service_endpoint = "+c.emu.Endpoint+"\n", 1)
	case "closed_port":
		opts.Endpoint = closedPortEndpoint(t)
	case "silent":
		c.emu.admin(t, "PUT", "/faults", object{"never_answer": true})
		opts.Endpoint = c.emu.Endpoint
	case "none":
	default:
		t.Fatalf("unknown endpoint_from %q", endpointFrom)
	}
	if err := os.WriteFile(c.profileFile, []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	env["AWS_CONFIG_FILE"] = c.profileFile
	setEnvironment(t, env)

	for name, value := range asObject(t, "settings", pick("settings")) {
		applySetting(t, &opts, name, value)
	}
	return imds.New(opts)
}

// applySetting sets one setting by its core name, as a Go program would write it.
func applySetting(t *testing.T, opts *imds.Options, name string, value any) {
	t.Helper()
	switch name {
	case "token_ttl":
		opts.TokenTTL = seconds(t, name, value)
	case "timeout":
		opts.Timeout = seconds(t, name, value)
	case "connect_timeout":
		opts.ConnectTimeout = seconds(t, name, value)
	case "max_attempts":
		opts.MaxAttempts = asCount(t, name, value)
	case "max_response_size":
		opts.MaxResponseSize = asCount(t, name, value)
	case "disabled":
		opts.Disabled = asBool(t, name, value)
	case "cache_immutable":
		opts.NoImmutableCache = !asBool(t, name, value)
	case "endpoint_mode":
		opts.EndpointMode = asString(t, name, value)
	case "v1_fallback":
		opts.V1Fallback = asBool(t, name, value)
	case "v1_disabled":
		opts.V1Disabled = asBool(t, name, value)
	default:
		t.Fatalf("unknown setting %q", name)
	}
}

// optional projects a field that IMDS may leave out: the Go API gives "" for an absent
// one, and the plain value of an absent item is null.
func optional(text string) any {
	if text == "" {
		return nil
	}
	return text
}

func document(d *imds.IdentityDocument, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return object{
		"account_id": d.AccountID, "architecture": optional(d.Architecture),
		"availability_zone": d.AvailabilityZone, "image_id": d.ImageID,
		"instance_id": d.InstanceID, "instance_type": d.InstanceType,
		"private_ip": optional(d.PrivateIP), "region": d.Region,
		"version": optional(d.Version),
	}, nil
}

func credentials(c *imds.Credentials, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return object{
		"role": c.Role, "access_key_id": c.AccessKeyID,
		"expiration": timeValue(c.Expiration),
	}, nil
}

func timeValue(when time.Time) any {
	return when.UTC().Format(time.RFC3339)
}

func strings2values(list []string) []any {
	values := make([]any, len(list))
	for i, s := range list {
		values[i] = s
	}
	return values
}

// call runs one API call and projects its result to a plain value, as every runner
// does: text as a string, user-data as UTF-8 text, a listing as a list, absent items
// as nil, documents as objects with snake_case keys and no secret.
//
// verified_identity_document verifies with the certificate the emulator's admin API
// serves, as a user would with AWS's.
func call(t *testing.T, emu *emulator, client *imds.Client, name string, args []any) (any, error) {
	t.Helper()
	ctx := context.Background()
	path := func() string {
		t.Helper()
		if len(args) != 1 {
			t.Fatalf("%s takes one argument, not %d", name, len(args))
		}
		return asString(t, name+" argument", args[0])
	}
	noArgs := func() {
		t.Helper()
		if len(args) != 0 {
			t.Fatalf("%s takes no argument, not %d", name, len(args))
		}
	}
	switch name {
	case "get_metadata":
		return client.GetMetadata(ctx, path())
	case "list_metadata":
		list, err := client.ListMetadata(ctx, path())
		if err != nil {
			return nil, err
		}
		return strings2values(list), nil
	case "get_dynamic":
		return client.GetDynamic(ctx, path())
	case "user_data":
		noArgs()
		data, err := client.UserData(ctx)
		if err != nil || data == nil {
			return nil, err
		}
		return strings.ToValidUTF8(string(data), "\uFFFD"), nil
	case "identity_document":
		noArgs()
		return document(client.IdentityDocument(ctx))
	case "region":
		noArgs()
		return client.Region(ctx)
	case "credentials":
		noArgs()
		return credentials(client.Credentials(ctx))
	case "credentials_for_role":
		return credentials(client.CredentialsForRole(ctx, path()))
	case "iam_info":
		noArgs()
		i, err := client.IAMInfo(ctx)
		if err != nil {
			return nil, err
		}
		return object{
			"code": i.Code, "instance_profile_arn": i.InstanceProfileARN,
			"instance_profile_id": i.InstanceProfileID,
		}, nil
	case "instance_tags":
		noArgs()
		tags, err := client.InstanceTags(ctx)
		if err != nil {
			return nil, err
		}
		values := object{}
		for k, v := range tags {
			values[k] = v
		}
		return values, nil
	case "spot_instance_action":
		noArgs()
		a, err := client.SpotInstanceAction(ctx)
		if err != nil || a == nil {
			return nil, err
		}
		return object{"action": a.Action, "time": timeValue(a.Time)}, nil
	case "scheduled_events":
		noArgs()
		events, err := client.ScheduledEvents(ctx)
		if err != nil {
			return nil, err
		}
		values := make([]any, len(events))
		for i, e := range events {
			values[i] = object{"code": e.Code, "event_id": e.EventID, "state": e.State}
		}
		return values, nil
	case "instance_id":
		noArgs()
		return client.InstanceID(ctx)
	case "availability_zone":
		noArgs()
		return client.AvailabilityZone(ctx)
	case "network_interfaces":
		noArgs()
		interfaces, err := client.NetworkInterfaces(ctx)
		if err != nil {
			return nil, err
		}
		values := make([]any, len(interfaces))
		for i, n := range interfaces {
			var device any
			if n.DeviceNumber != nil {
				device = float64(*n.DeviceNumber)
			}
			values[i] = object{
				"mac": n.MAC, "device_number": device, "interface_id": optional(n.InterfaceID),
				"local_ipv4s": strings2values(n.LocalIPv4s), "subnet_id": optional(n.SubnetID),
				"vpc_id": optional(n.VPCID),
			}
		}
		return values, nil
	case "rebalance_recommendation":
		noArgs()
		r, err := client.RebalanceRecommendation(ctx)
		if err != nil || r == nil {
			return nil, err
		}
		return object{"notice_time": timeValue(r.NoticeTime)}, nil
	case "autoscaling_target_state":
		noArgs()
		state, ok, err := client.AutoscalingTargetState(ctx)
		if err != nil || !ok {
			return nil, err
		}
		return state, nil
	case "verified_identity_document":
		noArgs()
		certificate := string(emu.admin(t, "GET", "/certificate", nil))
		return document(client.VerifiedIdentityDocument(ctx, certificate))
	}
	t.Fatalf("unknown call %q", name)
	return nil, nil
}

var allKinds = []imds.Kind{
	imds.KindInvalidInput, imds.KindDisabled, imds.KindUnreachable, imds.KindTimeout,
	imds.KindBadRequest, imds.KindUnauthorized, imds.KindForbidden, imds.KindNotFound,
	imds.KindThrottled, imds.KindServerError, imds.KindInvalidResponse,
	imds.KindResponseTooLarge, imds.KindCancelled, imds.KindSignatureInvalid,
	imds.KindCredentialsError, imds.KindInternal,
}

func knownKind(name string) bool {
	for _, kind := range allKinds {
		if kind.String() == name {
			return true
		}
	}
	return false
}

func render(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}

// field is value[name], nil when value is not an object or lacks it.
func field(value any, name string) (any, bool) {
	m, ok := value.(object)
	if !ok {
		return nil, false
	}
	v, ok := m[name]
	return v, ok
}

// check compares one outcome with a step's "expect" object. A broken expectation
// (unknown key, wrong type) ends the test; an unmet one is returned.
func check(t *testing.T, expect object, value any, err error, saved object) error {
	t.Helper()
	if kind, ok := expect["error"]; ok {
		keys(t, "expect (error)", expect, "error", "status", "message_contains")
		name := asString(t, "error", kind)
		if !knownKind(name) {
			t.Fatalf("unknown error kind %q", name)
		}
		if err == nil {
			return fmt.Errorf("expected error %s, got %s", name, render(value))
		}
		var e *imds.Error
		if !errors.As(err, &e) {
			return fmt.Errorf("expected error %s, got a %T that is not an *imds.Error: %v",
				name, err, err)
		}
		if e.Kind.String() != name {
			return fmt.Errorf("expected error %s, got %v", name, err)
		}
		if status, ok := expect["status"]; ok {
			if want := asCount(t, "status", status); e.StatusCode != want {
				return fmt.Errorf("expected status %d, got %d: %v", want, e.StatusCode, err)
			}
		}
		if text, ok := expect["message_contains"]; ok {
			if want := asString(t, "message_contains", text); !strings.Contains(e.Message, want) {
				return fmt.Errorf("message lacks %q: %v", want, err)
			}
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("unexpected error: %v", err)
	}
	names := make([]string, 0, len(expect))
	for key := range expect {
		names = append(names, key)
	}
	sort.Strings(names) // "save" must not run before "same"/"differs" by chance
	sort.SliceStable(names, func(i, j int) bool { return names[j] == "save" && names[i] != "save" })
	for _, key := range names {
		wanted := expect[key]
		var ok bool
		switch key {
		case "value":
			ok = reflect.DeepEqual(value, wanted)
		case "contains":
			switch v := value.(type) {
			case []any:
				for _, item := range v {
					ok = ok || reflect.DeepEqual(item, wanted)
				}
			case string:
				text, isText := wanted.(string)
				ok = isText && strings.Contains(v, text)
			}
		case "fields":
			ok = true
			for name, want := range asObject(t, "fields", wanted) {
				got, present := field(value, name)
				ok = ok && present && reflect.DeepEqual(got, want)
			}
		case "prefix":
			ok = true
			for name, want := range asObject(t, "prefix", wanted) {
				got, _ := field(value, name)
				text, isText := got.(string)
				ok = ok && isText && strings.HasPrefix(text, asString(t, "prefix "+name, want))
			}
		case "none":
			ok = (value == nil) == asBool(t, "none", wanted)
		case "count":
			list, isList := value.([]any)
			ok = isList && len(list) == asCount(t, "count", wanted)
		case "save":
			for name, slot := range asObject(t, "save", wanted) {
				got, present := field(value, name)
				if !present {
					t.Fatalf("save: the result has no field %q", name)
				}
				saved[asString(t, "save "+name, slot)] = got
			}
			ok = true
		case "same", "differs":
			ok = true
			for name, slot := range asObject(t, key, wanted) {
				got, has := field(value, name)
				slotName := asString(t, key+" "+name, slot)
				remembered, present := saved[slotName]
				if !present {
					// A misspelt name would make "differs" hold.
					t.Fatalf("%s: nothing was saved as %q", key, slotName)
				}
				equal := has && reflect.DeepEqual(remembered, got)
				ok = ok && equal == (key == "same")
			}
		default:
			t.Fatalf("unknown expectation %q", key)
		}
		if !ok {
			return fmt.Errorf("expectation %s: %s not met by %s", key, render(wanted), render(value))
		}
	}
	return nil
}

// setUp applies the scenario's "emulator" object through the admin API.
func setUp(t *testing.T, emu *emulator, setup object) {
	t.Helper()
	keys(t, "emulator", setup, "config", "mode", "faults", "credentials", "user_data")
	for _, item := range []struct{ key, path string }{
		{"config", "/config"}, {"mode", "/mode"}, {"faults", "/faults"},
		{"credentials", "/credentials"},
	} {
		if body, ok := setup[item.key]; ok {
			emu.admin(t, "PUT", item.path, asObject(t, item.key, body))
		}
	}
	if data, ok := setup["user_data"]; ok {
		if data != nil {
			t.Fatalf("emulator user_data must be null, not %v", data)
		}
		emu.admin(t, "DELETE", "/user-data", nil)
	}
}

// checkCounters compares the scenario's "counters" with the emulator's.
func checkCounters(t *testing.T, emu *emulator, expected object) {
	t.Helper()
	var counters object
	if err := json.Unmarshal(emu.admin(t, "GET", "/counters", nil), &counters); err != nil {
		t.Fatalf("counters unreadable: %v", err)
	}
	names := make([]string, 0, len(expected))
	for name := range expected {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		wanted := expected[name]
		if name == "reads" {
			reads := asObject(t, "counters reads", counters["reads"])
			for status, count := range asObject(t, "reads", wanted) {
				got, ok := reads[status]
				if !ok {
					got = float64(0)
				}
				if want := asCount(t, "reads "+status, count); got != float64(want) {
					t.Errorf("reads[%s]: expected %d, got %v", status, want, got)
				}
			}
			continue
		}
		if !contains([]string{"token_puts", "token_rejected", "requests"}, name) {
			t.Fatalf("unknown counter %q", name)
		}
		got, ok := counters[name]
		if !ok {
			t.Fatalf("the emulator reports no counter %q: %s", name, render(counters))
		}
		if !reflect.DeepEqual(got, wanted) {
			t.Errorf("counter %s: expected %s, got %s", name, render(wanted), render(got))
		}
	}
}

func runScenario(t *testing.T, name, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var scenario object
	if err := json.Unmarshal(data, &scenario); err != nil {
		t.Fatalf("unreadable scenario: %v", err)
	}
	keys(t, "scenario", scenario, "description", "emulator", "client", "steps", "counters")
	steps, ok := scenario["steps"].([]any)
	if !ok {
		t.Fatal("the scenario has no steps list")
	}

	restoreEnvironmentAfter(t)
	emu := startEmulator(t)
	setUp(t, emu, asObject(t, "emulator", scenario["emulator"]))
	spec := &clientSpec{
		spec: asObject(t, "client", scenario["client"]),
		emu:  emu, profileFile: filepath.Join(t.TempDir(), "config"),
	}
	keys(t, "client", spec.spec, "settings", "env", "profile", "endpoint_from")
	client, err := spec.build(t, object{})
	if err != nil {
		t.Fatalf("client did not build: %v", err)
	}
	defer client.Close()

	// A broken step ends the test from deep inside a helper: say which step it was.
	current := -1
	defer func() {
		if t.Failed() && current >= 0 {
			t.Logf("the failure is in step %d: %s", current, render(steps[current]))
		}
	}()
	saved := object{}
	for index, raw := range steps {
		current = index
		step := asObject(t, "step", raw)
		key := fmt.Sprintf("%s/step %d", name, index)
		fail := func(err error) {
			t.Helper()
			reason, known := knownDivergences[key]
			switch {
			case known && err != nil:
				t.Logf("%s: known divergence (%s): %v", key, reason, err)
			case known:
				t.Errorf("%s passes now: remove it from knownDivergences", key)
			case err != nil:
				t.Fatalf("step %d: %v", index, err)
			}
		}
		switch {
		case step["sleep"] != nil:
			keys(t, "sleep step", step, "sleep")
			time.Sleep(seconds(t, "sleep", step["sleep"]))
		case step["admin"] != nil:
			keys(t, "admin step", step, "admin")
			request := asObject(t, "admin", step["admin"])
			keys(t, "admin request", request, "method", "path", "body")
			emu.admin(t, asString(t, "method", request["method"]),
				asString(t, "path", request["path"]), request["body"])
		case step["build"] != nil:
			keys(t, "build step", step, "build", "expect")
			options := asObject(t, "build", step["build"])
			keys(t, "build", options, "settings", "env", "profile", "endpoint_from")
			built, err := spec.build(t, options)
			var value any
			if err == nil {
				value = "built"
				_ = built.Close()
			}
			fail(check(t, asObject(t, "expect", step["expect"]), value, err, saved))
		case step["call"] != nil:
			keys(t, "call step", step, "call", "args", "expect", "repeat")
			callName := asString(t, "call", step["call"])
			var args []any
			if step["args"] != nil {
				if args, ok = step["args"].([]any); !ok {
					t.Fatalf("step %d: args must be a list", index)
				}
			}
			repeat := 1
			if step["repeat"] != nil {
				if repeat = asCount(t, "repeat", step["repeat"]); repeat < 1 {
					t.Fatal("repeat must be at least 1")
				}
			}
			expect := asObject(t, "expect", step["expect"])
			var failure error
			for i := 0; i < repeat && failure == nil; i++ {
				value, err := call(t, emu, client, callName, args)
				if failure = check(t, expect, value, err, saved); failure != nil {
					failure = fmt.Errorf("%s: %w", callName, failure)
				}
			}
			fail(failure)
		default:
			t.Fatalf("step %d: unknown step %s", index, render(step))
		}
	}
	if expected, ok := scenario["counters"]; ok {
		checkCounters(t, emu, asObject(t, "counters", expected))
	}
}
