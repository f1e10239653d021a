package imds

import (
	"fmt"
	"log/slog"
	"time"
)

// Secret holds a credential that must never reach a log: it prints, formats,
// marshals and logs as "** redacted **". Reveal gives the value to the code that
// needs it, such as an AWS SDK credentials provider.
type Secret struct {
	value string
}

const redacted = "** redacted **"

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return s.value }

// Len is the length of the secret in bytes, which is not secret.
func (s Secret) Len() int { return len(s.value) }

// String returns "** redacted **".
func (s Secret) String() string { return redacted }

// GoString returns "** redacted **", for %#v.
func (s Secret) GoString() string { return `"` + redacted + `"` }

// Format writes "** redacted **" for every verb, %x and %q included.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue keeps the secret out of log/slog records.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText keeps the secret out of JSON, YAML and other encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Credentials are temporary role credentials.
type Credentials struct {
	Role            string
	AccessKeyID     string
	SecretAccessKey Secret
	SessionToken    Secret
	// Expiration is when they stop working: IMDS's own value, never stretched.
	Expiration time.Time
	// LastUpdated is when IMDS issued them; zero when it did not say.
	LastUpdated time.Time
}

// IdentityDocument is the instance identity document. Absent optional fields are
// empty; absent lists are nil.
type IdentityDocument struct {
	AccountID               string
	Architecture            string
	AvailabilityZone        string
	BillingProducts         []string
	DevpayProductCodes      []string
	MarketplaceProductCodes []string
	ImageID                 string
	InstanceID              string
	InstanceType            string
	KernelID                string
	RamdiskID               string
	PendingTime             string
	PrivateIP               string
	Region                  string
	Version                 string
}

// IAMInfo is the instance profile (iam/info).
type IAMInfo struct {
	Code               string
	LastUpdated        string
	InstanceProfileARN string
	InstanceProfileID  string
}

// NetworkInterface is one network interface; absent items are empty.
type NetworkInterface struct {
	MAC string
	// DeviceNumber is 0 for the primary interface; nil when IMDS does not list it.
	DeviceNumber        *int
	InterfaceID         string
	LocalIPv4s          []string
	PublicIPv4s         []string
	IPv6s               []string
	SubnetID            string
	SubnetIPv4CIDRBlock string
	VPCID               string
	VPCIPv4CIDRBlocks   []string
	SecurityGroupIDs    []string
	OwnerID             string
}

// SpotInstanceAction is a pending spot interruption.
type SpotInstanceAction struct {
	// Action is "terminate", "stop" or "hibernate".
	Action string
	Time   time.Time
}

// RebalanceRecommendation says the instance is at elevated risk of interruption.
type RebalanceRecommendation struct {
	NoticeTime time.Time
}

// ScheduledEvent is one scheduled maintenance event.
type ScheduledEvent struct {
	Code        string
	Description string
	EventID     string
	NotBefore   time.Time
	// NotAfter is zero when IMDS gives no end.
	NotAfter time.Time
	State    string
}
