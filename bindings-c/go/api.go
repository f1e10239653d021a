package imds

import (
	"context"
	"time"
	"unsafe"
)

// #include "imds.h"
import "C"

// native is one C call that fills an output handle.
type native func(*C.imds_client, *C.imds_call_options) C.imds_result

// withPath is a call that also takes one string argument (pointer and length).
func withPath(arg string, call func(*C.imds_client, *C.char, C.size_t, *C.imds_call_options) C.imds_result) native {
	return func(client *C.imds_client, options *C.imds_call_options) C.imds_result {
		return withString(arg, func(p *C.char, n C.size_t) C.imds_result {
			return call(client, p, n, options)
		})
	}
}

func goText(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}

func goBytes(p *C.uint8_t, n C.size_t) []byte {
	out := make([]byte, int(n))
	if n > 0 {
		copy(out, unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n)))
	}
	return out
}

func goString(s *C.imds_string) string {
	return string(goBytes((*C.uint8_t)(unsafe.Pointer(C.imds_string_ptr(s))), C.imds_string_len(s)))
}

func goList(list *C.imds_string_list) []string {
	if list == nil {
		return nil
	}
	n := int(C.imds_string_list_len(list))
	out := make([]string, n)
	for i := range out {
		out[i] = goText(C.imds_string_list_get(list, C.size_t(i)))
	}
	return out
}

func unixTime(seconds C.int64_t) time.Time {
	return time.Unix(int64(seconds), 0).UTC()
}

// text runs a call that returns an imds_string; ok is false when it returned none.
func (c *Client) text(ctx context.Context, call func(*C.imds_client, *C.imds_call_options, **C.imds_string) C.imds_result) (value string, ok bool, err error) {
	var out *C.imds_string
	err = c.call(ctx, func(client *C.imds_client, options *C.imds_call_options) C.imds_result {
		return call(client, options, &out)
	})
	if err != nil || out == nil {
		return "", false, err
	}
	defer C.imds_string_free(out)
	return goString(out), true, nil
}

// GetMetadata returns a metadata value as text, such as GetMetadata(ctx,
// "instance-id"). path is relative to /latest/meta-data/; a leading "/" is accepted.
// A bad path fails with KindInvalidInput before anything is sent, an absent one with
// KindNotFound.
func (c *Client) GetMetadata(ctx context.Context, path string) (string, error) {
	value, _, err := c.text(ctx, func(cl *C.imds_client, o *C.imds_call_options, out **C.imds_string) C.imds_result {
		return withPath(path, func(cl *C.imds_client, p *C.char, n C.size_t, o *C.imds_call_options) C.imds_result {
			return C.imds_client_get_metadata(cl, p, n, o, out)
		})(cl, o)
	})
	return value, err
}

// GetMetadataBytes returns a metadata value as raw bytes.
func (c *Client) GetMetadataBytes(ctx context.Context, path string) ([]byte, error) {
	var out *C.imds_bytes
	err := c.call(ctx, withPath(path, func(cl *C.imds_client, p *C.char, n C.size_t, o *C.imds_call_options) C.imds_result {
		return C.imds_client_get_metadata_bytes(cl, p, n, o, &out)
	}))
	if err != nil {
		return nil, err
	}
	defer C.imds_bytes_free(out)
	return goBytes(C.imds_bytes_data(out), C.imds_bytes_len(out)), nil
}

// ListMetadata returns the entries of a metadata directory, such as
// "network/interfaces/macs/"; subdirectories keep their trailing "/".
func (c *Client) ListMetadata(ctx context.Context, path string) ([]string, error) {
	var out *C.imds_string_list
	err := c.call(ctx, withPath(path, func(cl *C.imds_client, p *C.char, n C.size_t, o *C.imds_call_options) C.imds_result {
		return C.imds_client_list_metadata(cl, p, n, o, &out)
	}))
	if err != nil {
		return nil, err
	}
	defer C.imds_string_list_free(out)
	return goList(out), nil
}

// GetDynamic returns a dynamic data value, relative to /latest/dynamic/.
func (c *Client) GetDynamic(ctx context.Context, path string) (string, error) {
	value, _, err := c.text(ctx, func(cl *C.imds_client, o *C.imds_call_options, out **C.imds_string) C.imds_result {
		return withPath(path, func(cl *C.imds_client, p *C.char, n C.size_t, o *C.imds_call_options) C.imds_result {
			return C.imds_client_get_dynamic(cl, p, n, o, out)
		})(cl, o)
	})
	return value, err
}

// UserData returns the instance's user-data, or nil when it has none. The native
// copy is wiped once copied into the returned slice; clear the slice when done.
func (c *Client) UserData(ctx context.Context) ([]byte, error) {
	var out *C.imds_bytes
	err := c.call(ctx, func(cl *C.imds_client, o *C.imds_call_options) C.imds_result {
		return C.imds_client_user_data(cl, o, &out)
	})
	if err != nil || out == nil {
		return nil, err
	}
	defer C.imds_bytes_free(out)
	return goBytes(C.imds_bytes_data(out), C.imds_bytes_len(out)), nil
}

func identityDocument(d *C.imds_identity_document) *IdentityDocument {
	return &IdentityDocument{
		AccountID:               goText(C.imds_identity_document_account_id(d)),
		Architecture:            goText(C.imds_identity_document_architecture(d)),
		AvailabilityZone:        goText(C.imds_identity_document_availability_zone(d)),
		BillingProducts:         goList(C.imds_identity_document_billing_products(d)),
		DevpayProductCodes:      goList(C.imds_identity_document_devpay_product_codes(d)),
		MarketplaceProductCodes: goList(C.imds_identity_document_marketplace_product_codes(d)),
		ImageID:                 goText(C.imds_identity_document_image_id(d)),
		InstanceID:              goText(C.imds_identity_document_instance_id(d)),
		InstanceType:            goText(C.imds_identity_document_instance_type(d)),
		KernelID:                goText(C.imds_identity_document_kernel_id(d)),
		RamdiskID:               goText(C.imds_identity_document_ramdisk_id(d)),
		PendingTime:             goText(C.imds_identity_document_pending_time(d)),
		PrivateIP:               goText(C.imds_identity_document_private_ip(d)),
		Region:                  goText(C.imds_identity_document_region(d)),
		Version:                 goText(C.imds_identity_document_version(d)),
	}
}

func (c *Client) document(ctx context.Context, call native, out **C.imds_identity_document) (*IdentityDocument, error) {
	if err := c.call(ctx, call); err != nil {
		return nil, err
	}
	defer C.imds_identity_document_free(*out)
	return identityDocument(*out), nil
}

// IdentityDocument returns the instance identity document, parsed. Cached after the
// first answer.
func (c *Client) IdentityDocument(ctx context.Context) (*IdentityDocument, error) {
	var out *C.imds_identity_document
	return c.document(ctx, func(cl *C.imds_client, o *C.imds_call_options) C.imds_result {
		return C.imds_client_identity_document(cl, o, &out)
	}, &out)
}

// IdentityDocumentBytes returns the identity document exactly as signed.
func (c *Client) IdentityDocumentBytes(ctx context.Context) ([]byte, error) {
	var out *C.imds_bytes
	err := c.call(ctx, func(cl *C.imds_client, o *C.imds_call_options) C.imds_result {
		return C.imds_client_identity_document_bytes(cl, o, &out)
	})
	if err != nil {
		return nil, err
	}
	defer C.imds_bytes_free(out)
	return goBytes(C.imds_bytes_data(out), C.imds_bytes_len(out)), nil
}

// VerifiedIdentityDocument fetches the identity document and its signature, checks
// the signature against certificatePEM (AWS publishes one per Region) and returns the
// document; KindSignatureInvalid when it does not match.
func (c *Client) VerifiedIdentityDocument(ctx context.Context, certificatePEM string) (*IdentityDocument, error) {
	var out *C.imds_identity_document
	return c.document(ctx, withPath(certificatePEM, func(cl *C.imds_client, p *C.char, n C.size_t, o *C.imds_call_options) C.imds_result {
		return C.imds_client_verified_identity_document(cl, p, n, o, &out)
	}), &out)
}

// VerifiedIdentityDocumentPKCS7 is VerifiedIdentityDocument from the PKCS#7
// (rsa2048) form of the signature.
func (c *Client) VerifiedIdentityDocumentPKCS7(ctx context.Context, certificatePEM string) (*IdentityDocument, error) {
	var out *C.imds_identity_document
	return c.document(ctx, withPath(certificatePEM, func(cl *C.imds_client, p *C.char, n C.size_t, o *C.imds_call_options) C.imds_result {
		return C.imds_client_verified_identity_document_pkcs7(cl, p, n, o, &out)
	}), &out)
}

// Region returns the Region, such as "us-east-1", from placement/region, else from
// the identity document; never guessed from the zone name.
func (c *Client) Region(ctx context.Context) (string, error) {
	value, _, err := c.text(ctx, func(cl *C.imds_client, o *C.imds_call_options, out **C.imds_string) C.imds_result {
		return C.imds_client_region(cl, o, out)
	})
	return value, err
}

// AvailabilityZone returns the Availability Zone, such as "us-east-1a".
func (c *Client) AvailabilityZone(ctx context.Context) (string, error) {
	value, _, err := c.text(ctx, func(cl *C.imds_client, o *C.imds_call_options, out **C.imds_string) C.imds_result {
		return C.imds_client_availability_zone(cl, o, out)
	})
	return value, err
}

// InstanceID returns the instance id, such as "i-0123456789abcdef0".
func (c *Client) InstanceID(ctx context.Context) (string, error) {
	value, _, err := c.text(ctx, func(cl *C.imds_client, o *C.imds_call_options, out **C.imds_string) C.imds_result {
		return C.imds_client_instance_id(cl, o, out)
	})
	return value, err
}

// RoleName returns the name of the IAM role attached to the instance; KindNotFound
// when there is none.
func (c *Client) RoleName(ctx context.Context) (string, error) {
	value, _, err := c.text(ctx, func(cl *C.imds_client, o *C.imds_call_options, out **C.imds_string) C.imds_result {
		return C.imds_client_role_name(cl, o, out)
	})
	return value, err
}

// AutoscalingTargetState returns the Auto Scaling target lifecycle state
// ("InService", "Terminated", ...); ok is false when the instance is not in an Auto
// Scaling group.
func (c *Client) AutoscalingTargetState(ctx context.Context) (state string, ok bool, err error) {
	return c.text(ctx, func(cl *C.imds_client, o *C.imds_call_options, out **C.imds_string) C.imds_result {
		return C.imds_client_autoscaling_target_state(cl, o, out)
	})
}

// IAMInfo returns the instance profile; KindNotFound when no role is attached.
func (c *Client) IAMInfo(ctx context.Context) (*IAMInfo, error) {
	var out *C.imds_iam_info
	err := c.call(ctx, func(cl *C.imds_client, o *C.imds_call_options) C.imds_result {
		return C.imds_client_iam_info(cl, o, &out)
	})
	if err != nil {
		return nil, err
	}
	defer C.imds_iam_info_free(out)
	return &IAMInfo{
		Code:               goText(C.imds_iam_info_code(out)),
		LastUpdated:        goText(C.imds_iam_info_last_updated(out)),
		InstanceProfileARN: goText(C.imds_iam_info_instance_profile_arn(out)),
		InstanceProfileID:  goText(C.imds_iam_info_instance_profile_id(out)),
	}, nil
}

func credentials(c *C.imds_credentials) *Credentials {
	creds := &Credentials{
		Role:            goText(C.imds_credentials_role(c)),
		AccessKeyID:     goText(C.imds_credentials_access_key_id(c)),
		SecretAccessKey: Secret{goText(C.imds_credentials_secret_access_key(c))},
		SessionToken:    Secret{goText(C.imds_credentials_session_token(c))},
		Expiration:      unixTime(C.imds_credentials_expiration(c)),
	}
	var updated C.int64_t
	if C.imds_credentials_last_updated(c, &updated) {
		creds.LastUpdated = unixTime(updated)
	}
	return creds
}

// Credentials returns the instance's role credentials, from cache while fresh and
// refreshed five minutes before they expire; during an IMDS outage the last good set
// is returned until it expires. KindNotFound when no role is attached,
// KindCredentialsError when IMDS answers with an error document.
func (c *Client) Credentials(ctx context.Context) (*Credentials, error) {
	var out *C.imds_credentials
	err := c.call(ctx, func(cl *C.imds_client, o *C.imds_call_options) C.imds_result {
		return C.imds_client_credentials(cl, o, &out)
	})
	if err != nil {
		return nil, err
	}
	defer C.imds_credentials_free(out)
	return credentials(out), nil
}

// CredentialsForRole is Credentials for a named role.
func (c *Client) CredentialsForRole(ctx context.Context, role string) (*Credentials, error) {
	var out *C.imds_credentials
	err := c.call(ctx, withPath(role, func(cl *C.imds_client, p *C.char, n C.size_t, o *C.imds_call_options) C.imds_result {
		return C.imds_client_credentials_for_role(cl, p, n, o, &out)
	}))
	if err != nil {
		return nil, err
	}
	defer C.imds_credentials_free(out)
	return credentials(out), nil
}

// InstanceTags returns the instance tags; KindNotFound, with a message saying how to
// turn them on, when tags are not exposed in metadata.
func (c *Client) InstanceTags(ctx context.Context) (map[string]string, error) {
	var out *C.imds_string_map
	err := c.call(ctx, func(cl *C.imds_client, o *C.imds_call_options) C.imds_result {
		return C.imds_client_instance_tags(cl, o, &out)
	})
	if err != nil {
		return nil, err
	}
	defer C.imds_string_map_free(out)
	n := int(C.imds_string_map_len(out))
	tags := make(map[string]string, n)
	for i := 0; i < n; i++ {
		tags[goText(C.imds_string_map_key(out, C.size_t(i)))] = goText(C.imds_string_map_value(out, C.size_t(i)))
	}
	return tags, nil
}

// NetworkInterfaces returns every network interface, primary first.
func (c *Client) NetworkInterfaces(ctx context.Context) ([]NetworkInterface, error) {
	var out *C.imds_network_interface_list
	err := c.call(ctx, func(cl *C.imds_client, o *C.imds_call_options) C.imds_result {
		return C.imds_client_network_interfaces(cl, o, &out)
	})
	if err != nil {
		return nil, err
	}
	defer C.imds_network_interface_list_free(out)
	interfaces := make([]NetworkInterface, int(C.imds_network_interface_list_len(out)))
	for i := range interfaces {
		n := C.imds_network_interface_list_get(out, C.size_t(i))
		nic := NetworkInterface{
			MAC:                 goText(C.imds_network_interface_mac(n)),
			InterfaceID:         goText(C.imds_network_interface_interface_id(n)),
			LocalIPv4s:          goList(C.imds_network_interface_local_ipv4s(n)),
			PublicIPv4s:         goList(C.imds_network_interface_public_ipv4s(n)),
			IPv6s:               goList(C.imds_network_interface_ipv6s(n)),
			SubnetID:            goText(C.imds_network_interface_subnet_id(n)),
			SubnetIPv4CIDRBlock: goText(C.imds_network_interface_subnet_ipv4_cidr_block(n)),
			VPCID:               goText(C.imds_network_interface_vpc_id(n)),
			VPCIPv4CIDRBlocks:   goList(C.imds_network_interface_vpc_ipv4_cidr_blocks(n)),
			SecurityGroupIDs:    goList(C.imds_network_interface_security_group_ids(n)),
			OwnerID:             goText(C.imds_network_interface_owner_id(n)),
		}
		var number C.uint32_t
		if C.imds_network_interface_device_number(n, &number) {
			device := int(number)
			nic.DeviceNumber = &device
		}
		interfaces[i] = nic
	}
	return interfaces, nil
}

// SpotInstanceAction returns the pending spot interruption, or nil while there is
// none. Poll it every 5 seconds.
func (c *Client) SpotInstanceAction(ctx context.Context) (*SpotInstanceAction, error) {
	var out *C.imds_spot_action
	err := c.call(ctx, func(cl *C.imds_client, o *C.imds_call_options) C.imds_result {
		return C.imds_client_spot_instance_action(cl, o, &out)
	})
	if err != nil || out == nil {
		return nil, err
	}
	defer C.imds_spot_action_free(out)
	return &SpotInstanceAction{
		Action: goText(C.imds_spot_action_action(out)),
		Time:   unixTime(C.imds_spot_action_time(out)),
	}, nil
}

// RebalanceRecommendation returns the rebalance recommendation, or nil while there is
// none.
func (c *Client) RebalanceRecommendation(ctx context.Context) (*RebalanceRecommendation, error) {
	var out *C.imds_rebalance_recommendation
	err := c.call(ctx, func(cl *C.imds_client, o *C.imds_call_options) C.imds_result {
		return C.imds_client_rebalance_recommendation(cl, o, &out)
	})
	if err != nil || out == nil {
		return nil, err
	}
	defer C.imds_rebalance_recommendation_free(out)
	return &RebalanceRecommendation{
		NoticeTime: unixTime(C.imds_rebalance_recommendation_notice_time(out)),
	}, nil
}

// ScheduledEvents returns the scheduled maintenance events; empty when there are none.
func (c *Client) ScheduledEvents(ctx context.Context) ([]ScheduledEvent, error) {
	var out *C.imds_scheduled_event_list
	err := c.call(ctx, func(cl *C.imds_client, o *C.imds_call_options) C.imds_result {
		return C.imds_client_scheduled_events(cl, o, &out)
	})
	if err != nil {
		return nil, err
	}
	defer C.imds_scheduled_event_list_free(out)
	events := make([]ScheduledEvent, int(C.imds_scheduled_event_list_len(out)))
	for i := range events {
		e := C.imds_scheduled_event_list_get(out, C.size_t(i))
		events[i] = ScheduledEvent{
			Code:        goText(C.imds_scheduled_event_code(e)),
			Description: goText(C.imds_scheduled_event_description(e)),
			EventID:     goText(C.imds_scheduled_event_event_id(e)),
			NotBefore:   unixTime(C.imds_scheduled_event_not_before(e)),
			State:       goText(C.imds_scheduled_event_state(e)),
		}
		var after C.int64_t
		if C.imds_scheduled_event_not_after(e, &after) {
			events[i].NotAfter = unixTime(after)
		}
	}
	return events, nil
}
