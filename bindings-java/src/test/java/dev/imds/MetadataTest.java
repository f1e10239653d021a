package dev.imds;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every blocking method against the emulator's default instance. */
@ExtendWith(EmulatorExtension.class)
class MetadataTest {
  static final String INSTANCE_ID = "i-0b22a22eec53b9321";

  static String otherCertificate() throws IOException {
    try (InputStream in = MetadataTest.class.getResourceAsStream("/other-rsa-cert.pem")) {
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }
  }

  @Test
  void getMetadataReadsText(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      assertEquals(INSTANCE_ID, client.getMetadata("instance-id"));
      assertEquals(INSTANCE_ID, client.getMetadata("/instance-id"));
      assertEquals("m5.large", client.getMetadata("instance-type"));
    }
  }

  @Test
  void getMetadataBytesReturnsTheBodyAsSent(Emulator emulator) {
    emulator.admin("PUT", "/metadata/app/greeting", "grüße\n");
    try (ImdsClient client = emulator.client().build()) {
      assertArrayEquals(
          INSTANCE_ID.getBytes(StandardCharsets.US_ASCII), client.getMetadataBytes("instance-id"));
      assertArrayEquals(
          "grüße\n".getBytes(StandardCharsets.UTF_8), client.getMetadataBytes("/app/greeting"));
      assertThrows(ImdsNotFoundException.class, () -> client.getMetadataBytes("no-such-item"));
      assertThrows(ImdsInvalidInputException.class, () -> client.getMetadataBytes("a//b"));
      assertThrows(NullPointerException.class, () -> client.getMetadataBytes(null));
    }
  }

  @Test
  void listMetadataKeepsDirectories(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      List<String> root = client.listMetadata("");
      assertTrue(root.contains("instance-id"), root::toString);
      assertTrue(root.contains("placement/"), root::toString);
      assertEquals(
          List.of("availability-zone", "availability-zone-id", "region"),
          client.listMetadata("placement/"));
    }
  }

  @Test
  void getDynamicReadsTheDocument(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      String document = client.getDynamic("instance-identity/document");
      assertTrue(document.contains(INSTANCE_ID), document);
    }
  }

  @Test
  void userDataIsBytesOrEmpty(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      byte[] data = client.userData().orElseThrow();
      assertEquals(
          "#!/bin/bash\necho hello from user-data\n", new String(data, StandardCharsets.UTF_8));

      emulator.admin("PUT", "/user-data", "\u0000\u00ffbinary");
      assertEquals(
          "\u0000\u00ffbinary",
          new String(client.userData().orElseThrow(), StandardCharsets.UTF_8));

      emulator.admin("DELETE", "/user-data", null);
      assertEquals(Optional.empty(), client.userData());
    }
  }

  @Test
  void identityDocumentIsParsed(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      IdentityDocument document = client.identityDocument();
      assertEquals(INSTANCE_ID, document.instanceId());
      assertEquals("123456789012", document.accountId());
      assertEquals("us-east-1", document.region());
      assertEquals("us-east-1a", document.availabilityZone());
      assertEquals("m5.large", document.instanceType());
      assertEquals("ami-0abcdef1234567890", document.imageId());
      assertEquals(Optional.of("x86_64"), document.architecture());
      assertEquals(Optional.empty(), document.kernelId());
      assertEquals(Optional.of("172.31.16.5"), document.privateIp());
    }
  }

  @Test
  void identityDocumentBytesAreTheDocumentAsSigned(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      byte[] raw = client.identityDocumentBytes();
      assertEquals(
          client.getDynamic("instance-identity/document"), new String(raw, StandardCharsets.UTF_8));
      assertTrue(new String(raw, StandardCharsets.UTF_8).contains(INSTANCE_ID));
    }
  }

  @Test
  void placementHelpers(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      assertEquals("us-east-1", client.region());
      assertEquals("us-east-1a", client.availabilityZone());
      assertEquals(INSTANCE_ID, client.instanceId());
    }
  }

  @Test
  void credentialsAreParsedAndNeverPrinted(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      Credentials credentials = client.credentials();
      assertEquals("emulator-role", credentials.role());
      assertTrue(credentials.accessKeyId().startsWith("ASIA"), credentials.accessKeyId());
      assertFalse(credentials.secretAccessKey().isEmpty());
      assertFalse(credentials.sessionToken().isEmpty());
      assertTrue(credentials.expiration().isAfter(Instant.now()));
      assertTrue(credentials.lastUpdated().isPresent());

      String text = credentials.toString();
      assertFalse(text.contains(credentials.secretAccessKey()), text);
      assertFalse(text.contains(credentials.sessionToken()), text);
      assertTrue(text.contains(credentials.accessKeyId()), text);
      assertTrue(text.contains("redacted"), text);

      Credentials again = client.credentialsForRole("emulator-role");
      assertEquals(credentials.accessKeyId(), again.accessKeyId());
    }
  }

  @Test
  void roleNameIsTheAttachedRoleAndNotFoundWithoutOne(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      assertEquals("emulator-role", client.roleName());
      emulator.admin("PUT", "/config", "{\"iam_role\":null}");
      ImdsNotFoundException none = assertThrows(ImdsNotFoundException.class, client::roleName);
      assertTrue(none.getMessage().contains("no IAM role"), none.getMessage());
    }
  }

  @Test
  void clearCachesForgetsTheToken(Emulator emulator) {
    ImdsClient closed;
    try (ImdsClient client = emulator.client().build()) {
      client.getMetadata("hostname");
      client.getMetadata("hostname");
      assertEquals(1, emulator.counter("token_puts"));
      client.clearCaches();
      client.getMetadata("hostname");
      assertEquals(2, emulator.counter("token_puts"));
      closed = client;
    }
    assertThrows(IllegalStateException.class, closed::clearCaches);
  }

  @Test
  void iamInfoIsParsed(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      IamInfo info = client.iamInfo();
      assertEquals("Success", info.code());
      assertTrue(info.instanceProfileArn().contains("emulator-role"), info.toString());
      assertEquals("AIPAEMULATORPROFILE01", info.instanceProfileId());
    }
  }

  @Test
  void instanceTagsWhenEnabled(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      ImdsNotFoundException off = assertThrows(ImdsNotFoundException.class, client::instanceTags);
      assertTrue(off.getMessage().contains("instance-metadata-tags"), off.getMessage());

      emulator.admin(
          "PUT", "/tags", "{\"enabled\":true,\"tags\":{\"Name\":\"web\",\"Team\":\"a\"}}");
      assertEquals(Map.of("Name", "web", "Team", "a"), client.instanceTags());
      assertEquals(List.of("Name", "Team"), List.copyOf(client.instanceTags().keySet()));
    }
  }

  @Test
  void networkInterfacesArePrimaryFirst(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      List<NetworkInterface> interfaces = client.networkInterfaces();
      assertEquals(1, interfaces.size());
      NetworkInterface primary = interfaces.get(0);
      assertEquals("0e:49:61:0f:c3:11", primary.mac());
      assertEquals(0, primary.deviceNumber().orElseThrow());
      assertEquals(Optional.of("eni-0f1e2d3c4b5a69788"), primary.interfaceId());
      assertEquals(List.of("172.31.16.5"), primary.localIpv4s());
      assertEquals(Optional.of("vpc-0a1b2c3d4e5f67892"), primary.vpcId());
      assertEquals(List.of("sg-0a1b2c3d4e5f67890"), primary.securityGroupIds());
    }
  }

  @Test
  void spotActionAppearsWhenScheduled(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      assertEquals(Optional.empty(), client.spotInstanceAction());
      emulator.admin("POST", "/events/spot", "{\"action\":\"stop\",\"in_seconds\":0}");
      SpotInstanceAction action = client.spotInstanceAction().orElseThrow();
      assertEquals("stop", action.action());
      assertTrue(action.time().isAfter(Instant.now().minusSeconds(60)), action.toString());
    }
  }

  @Test
  void rebalanceRecommendationAppearsWhenScheduled(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      assertEquals(Optional.empty(), client.rebalanceRecommendation());
      emulator.admin("POST", "/events/rebalance", "{\"in_seconds\":0}");
      RebalanceRecommendation notice = client.rebalanceRecommendation().orElseThrow();
      assertTrue(notice.noticeTime().isBefore(Instant.now().plusSeconds(60)), notice.toString());
    }
  }

  @Test
  void scheduledEventsAreListed(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      assertEquals(List.of(), client.scheduledEvents());
      emulator.admin(
          "POST",
          "/events/maintenance",
          "{\"code\":\"system-reboot\",\"description\":\"scheduled reboot\",\"in_seconds\":0}");
      List<ScheduledEvent> events = client.scheduledEvents();
      assertEquals(1, events.size(), events::toString);
      ScheduledEvent event = events.get(0);
      assertEquals("system-reboot", event.code());
      assertEquals("scheduled reboot", event.description());
      assertTrue(event.notAfter().orElseThrow().isAfter(event.notBefore()), event.toString());
    }
  }

  @Test
  void autoscalingTargetState(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      assertEquals(Optional.empty(), client.autoscalingTargetState());
      emulator.admin("PUT", "/autoscaling", "{\"state\":\"InService\"}");
      assertEquals(Optional.of("InService"), client.autoscalingTargetState());
    }
  }

  @Test
  void verifiedIdentityDocument(Emulator emulator) throws IOException {
    String certificate = emulator.admin("GET", "/certificate", null);
    try (ImdsClient client = emulator.client().build()) {
      assertEquals(INSTANCE_ID, client.verifiedIdentityDocument(certificate).instanceId());
      assertEquals(INSTANCE_ID, client.verifiedIdentityDocumentPkcs7(certificate).instanceId());

      String other = otherCertificate();
      ImdsSignatureInvalidException e =
          assertThrows(
              ImdsSignatureInvalidException.class, () -> client.verifiedIdentityDocument(other));
      assertEquals(14, e.code());
    }
  }

  @Test
  void configListsEverySettingWithItsSource(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      List<ConfigEntry> config = client.config();
      ConfigEntry endpoint =
          config.stream().filter(e -> e.name().equals("endpoint")).findFirst().orElseThrow();
      assertEquals(emulator.endpoint(), endpoint.value());
      assertEquals("code", endpoint.source());
      assertTrue(config.stream().anyMatch(e -> e.name().equals("token_ttl")), config::toString);
    }
  }
}
