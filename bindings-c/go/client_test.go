package imds

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func TestGetMetadataListAndDynamic(t *testing.T) {
	ctx := context.Background()
	client := newClient(t, Options{})

	id, err := client.GetMetadata(ctx, "instance-id")
	if err != nil || !strings.HasPrefix(id, "i-") {
		t.Fatalf("GetMetadata = %q, %v", id, err)
	}
	raw, err := client.GetMetadataBytes(ctx, "/ami-id")
	if err != nil || !strings.HasPrefix(string(raw), "ami-") {
		t.Fatalf("GetMetadataBytes = %q, %v", raw, err)
	}
	entries, err := client.ListMetadata(ctx, "")
	if err != nil || !contains(entries, "placement/") || !contains(entries, "instance-id") {
		t.Fatalf("ListMetadata = %v, %v", entries, err)
	}
	document, err := client.GetDynamic(ctx, "instance-identity/document")
	if err != nil || !strings.Contains(document, `"region"`) {
		t.Fatalf("GetDynamic = %q, %v", document, err)
	}
	if region, err := client.Region(ctx); err != nil || region != "us-east-1" {
		t.Fatalf("Region = %q, %v", region, err)
	}
	if zone, err := client.AvailabilityZone(ctx); err != nil || zone != "us-east-1a" {
		t.Fatalf("AvailabilityZone = %q, %v", zone, err)
	}
	if got, err := client.InstanceID(ctx); err != nil || got != id {
		t.Fatalf("InstanceID = %q, %v", got, err)
	}
	client.ClearCaches()
}

func contains(list []string, item string) bool {
	for _, entry := range list {
		if entry == item {
			return true
		}
	}
	return false
}

func TestUserData(t *testing.T) {
	ctx := context.Background()
	client := newClient(t, Options{})

	admin(t, "PUT", "/user-data", "#!/bin/sh\necho hello\n")
	data, err := client.UserData(ctx)
	if err != nil || string(data) != "#!/bin/sh\necho hello\n" {
		t.Fatalf("UserData = %q, %v", data, err)
	}
	admin(t, "DELETE", "/user-data", "")
	data, err = client.UserData(ctx)
	if err != nil || data != nil {
		t.Fatalf("UserData without any = %q, %v", data, err)
	}
}

func checkDocument(t *testing.T, doc *IdentityDocument) {
	t.Helper()
	if doc.AccountID != "123456789012" || doc.Region != "us-east-1" ||
		doc.AvailabilityZone != "us-east-1a" || doc.InstanceType != "m5.large" ||
		!strings.HasPrefix(doc.InstanceID, "i-") || !strings.HasPrefix(doc.ImageID, "ami-") ||
		doc.Architecture != "x86_64" || doc.KernelID != "" || doc.BillingProducts != nil ||
		doc.Version != "2017-09-30" || doc.PrivateIP == "" || doc.PendingTime == "" {
		t.Fatalf("unexpected identity document %+v", doc)
	}
}

func TestIdentityDocument(t *testing.T) {
	ctx := context.Background()
	client := newClient(t, Options{})

	doc, err := client.IdentityDocument(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkDocument(t, doc)
	raw, err := client.IdentityDocumentBytes(ctx)
	if err != nil || raw[0] != '{' {
		t.Fatalf("IdentityDocumentBytes = %q, %v", raw, err)
	}
	certificate := admin(t, "GET", "/certificate", "")
	for name, verify := range map[string]func(context.Context, string) (*IdentityDocument, error){
		"signature": client.VerifiedIdentityDocument,
		"pkcs7":     client.VerifiedIdentityDocumentPKCS7,
	} {
		doc, err := verify(ctx, certificate)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkDocument(t, doc)
	}
}

func TestIAMAndCredentials(t *testing.T) {
	ctx := context.Background()
	client := newClient(t, Options{})

	role, err := client.RoleName(ctx)
	if err != nil || role == "" {
		t.Fatalf("RoleName = %q, %v", role, err)
	}
	info, err := client.IAMInfo(ctx)
	if err != nil || info.Code != "Success" || !strings.Contains(info.InstanceProfileARN, ":instance-profile/") {
		t.Fatalf("IAMInfo = %+v, %v", info, err)
	}
	creds, err := client.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if creds.Role != role || !strings.HasPrefix(creds.AccessKeyID, "ASIA") ||
		creds.SecretAccessKey.Len() < 10 || creds.SessionToken.Len() < 10 ||
		!creds.Expiration.After(time.Now()) || creds.LastUpdated.IsZero() {
		t.Fatalf("unexpected credentials %+v", creds)
	}
	again, err := client.CredentialsForRole(ctx, role)
	if err != nil || again.AccessKeyID != creds.AccessKeyID {
		t.Fatalf("CredentialsForRole = %+v, %v", again, err)
	}
	if _, err := client.CredentialsForRole(ctx, "a/b"); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("CredentialsForRole(a/b) = %v", err)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	client := newClient(t, Options{})
	creds, err := client.Credentials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	secret, token := creds.SecretAccessKey.Reveal(), creds.SessionToken.Reveal()
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		for _, value := range []any{creds, *creds, creds.SecretAccessKey} {
			out := fmt.Sprintf(format, value)
			if strings.Contains(out, secret) || strings.Contains(out, token) {
				t.Fatalf("%s printed a secret: %s", format, out)
			}
		}
	}
	text, _ := creds.SessionToken.MarshalText()
	if strings.Contains(string(text), token) {
		t.Fatal("MarshalText leaked the session token")
	}
}

func TestTagsAndNetwork(t *testing.T) {
	ctx := context.Background()
	client := newClient(t, Options{})

	admin(t, "PUT", "/tags", `{"enabled":false}`)
	if _, err := client.InstanceTags(ctx); !errors.Is(err, ErrNotFound) ||
		!strings.Contains(err.Error(), "instance-metadata-tags") {
		t.Fatalf("InstanceTags while off = %v", err)
	}
	admin(t, "PUT", "/tags", `{"enabled":true,"tags":{"Name":"web-1","Env":"prod"}}`)
	tags, err := client.InstanceTags(ctx)
	if err != nil || len(tags) != 2 || tags["Name"] != "web-1" || tags["Env"] != "prod" {
		t.Fatalf("InstanceTags = %v, %v", tags, err)
	}

	nics, err := client.NetworkInterfaces(ctx)
	if err != nil || len(nics) == 0 {
		t.Fatalf("NetworkInterfaces = %v, %v", nics, err)
	}
	primary := nics[0]
	if primary.DeviceNumber == nil || *primary.DeviceNumber != 0 || primary.MAC == "" ||
		!strings.HasPrefix(primary.InterfaceID, "eni-") || !strings.HasPrefix(primary.VPCID, "vpc-") ||
		!strings.HasPrefix(primary.SubnetID, "subnet-") || len(primary.LocalIPv4s) == 0 ||
		len(primary.SecurityGroupIDs) == 0 || len(primary.VPCIPv4CIDRBlocks) == 0 ||
		primary.OwnerID != "123456789012" || primary.SubnetIPv4CIDRBlock == "" {
		t.Fatalf("unexpected primary interface %+v", primary)
	}
}

func TestNotices(t *testing.T) {
	ctx := context.Background()
	client := newClient(t, Options{})
	admin(t, "DELETE", "/events", "")
	t.Cleanup(func() {
		admin(t, "DELETE", "/events", "")
		admin(t, "PUT", "/autoscaling", `{"state":null}`)
	})

	if spot, err := client.SpotInstanceAction(ctx); err != nil || spot != nil {
		t.Fatalf("SpotInstanceAction before = %v, %v", spot, err)
	}
	if rebalance, err := client.RebalanceRecommendation(ctx); err != nil || rebalance != nil {
		t.Fatalf("RebalanceRecommendation before = %v, %v", rebalance, err)
	}
	if events, err := client.ScheduledEvents(ctx); err != nil || len(events) != 0 {
		t.Fatalf("ScheduledEvents before = %v, %v", events, err)
	}
	if _, ok, err := client.AutoscalingTargetState(ctx); err != nil || ok {
		t.Fatalf("AutoscalingTargetState before = %v, %v", ok, err)
	}

	before := time.Now().Add(-5 * time.Second)
	admin(t, "POST", "/events/spot", `{"action":"stop","in_seconds":0}`)
	admin(t, "POST", "/events/rebalance", `{"in_seconds":0}`)
	admin(t, "POST", "/events/maintenance",
		`{"code":"instance-stop","description":"planned","in_seconds":0}`)
	admin(t, "PUT", "/autoscaling", `{"state":"InService"}`)

	spot, err := client.SpotInstanceAction(ctx)
	if err != nil || spot == nil || spot.Action != "stop" || spot.Time.Before(before) {
		t.Fatalf("SpotInstanceAction = %+v, %v", spot, err)
	}
	rebalance, err := client.RebalanceRecommendation(ctx)
	if err != nil || rebalance == nil || rebalance.NoticeTime.Before(before) {
		t.Fatalf("RebalanceRecommendation = %+v, %v", rebalance, err)
	}
	events, err := client.ScheduledEvents(ctx)
	if err != nil || len(events) != 1 || events[0].Code != "instance-stop" ||
		events[0].Description != "planned" || events[0].State != "active" ||
		!strings.HasPrefix(events[0].EventID, "instance-event-") ||
		!events[0].NotAfter.After(events[0].NotBefore) {
		t.Fatalf("ScheduledEvents = %+v, %v", events, err)
	}
	state, ok, err := client.AutoscalingTargetState(ctx)
	if err != nil || !ok || state != "InService" {
		t.Fatalf("AutoscalingTargetState = %q %v, %v", state, ok, err)
	}
}

func TestOptions(t *testing.T) {
	ctx := context.Background()
	client := newClient(t, Options{
		EndpointMode:      "IPv4",
		V1Disabled:        true,
		TokenTTL:          60 * time.Second,
		Timeout:           2 * time.Second,
		ConnectTimeout:    time.Second,
		MaxAttempts:       2,
		Deadline:          10 * time.Second,
		UnreachableMemory: -1,
		MaxResponseSize:   1 << 16,
		NoImmutableCache:  true,
		Profile:           "default",
		ConfigFile:        os.DevNull,
	})
	if _, err := client.InstanceID(ctx); err != nil {
		t.Fatal(err)
	}

	// The endpoint from the client's own environment, not from Options.
	env := map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": emulator.Endpoint}
	fromEnv, err := New(Options{Environment: env, ConfigFile: os.DevNull})
	if err != nil {
		t.Fatal(err)
	}
	defer fromEnv.Close()
	if _, err := fromEnv.InstanceID(ctx); err != nil {
		t.Fatal(err)
	}
	env["AWS_EC2_METADATA_DISABLED"] = "true"
	disabled, err := New(Options{Environment: env})
	if err != nil {
		t.Fatal(err)
	}
	defer disabled.Close()
	if _, err := disabled.InstanceID(ctx); !errors.Is(err, ErrDisabled) {
		t.Fatalf("disabled from the environment: %v", err)
	}

	for name, bad := range map[string]Options{
		"ttl zero":        {TokenTTL: time.Millisecond},
		"ttl too long":    {TokenTTL: 7 * time.Hour},
		"mode":            {EndpointMode: "IPv5"},
		"endpoint":        {Endpoint: "ftp://example"},
		"attempts":        {MaxAttempts: 21},
		"negative":        {MaxAttempts: -1},
		"backoff":         {BackoffBase: time.Second, BackoffMax: time.Millisecond},
		"nul in profile":  {Profile: "a\x00b"},
		"bad utf-8":       {Profile: "\xff"},
		"negative size":   {MaxResponseSize: -1},
		"zero timeout":    {Timeout: -time.Second},
		"environment nul": {Environment: map[string]string{"A\x00": "b"}},
	} {
		client, err := New(bad)
		var e *Error
		if client != nil || !errors.As(err, &e) || e.Kind != KindInvalidInput || e.Code != 1 {
			t.Errorf("%s: New = %v, %v", name, client, err)
		}
	}
}

func TestCloseIsIdempotentAndFinal(t *testing.T) {
	client, err := New(Options{Endpoint: emulator.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	client.ClearCaches()
	_, err = client.GetMetadata(context.Background(), "instance-id")
	if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("after Close: %v", err)
	}
}

func TestFinalizerFreesForgottenClients(t *testing.T) {
	before := liveClients.Load()
	for i := 0; i < 20; i++ {
		client, err := New(Options{Endpoint: emulator.Endpoint, Logger: discardLogger()})
		if err != nil {
			t.Fatal(err)
		}
		_ = client // never closed
	}
	deadline := time.Now().Add(10 * time.Second)
	for liveClients.Load() > before && time.Now().Before(deadline) {
		runtimeGC()
	}
	if live := liveClients.Load(); live > before {
		t.Fatalf("%d clients were never freed", live-before)
	}
}
