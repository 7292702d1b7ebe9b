package io.wharf.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.core.repository.WritePolicy;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StoreSpace;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

  @Test
  void parse_emptyFile_givesDefaults() {
    WharfConfig c = ConfigLoader.parse("", "test.yaml");
    assertThat(c.server().bind()).isEqualTo("127.0.0.1");
    assertThat(c.server().port()).isEqualTo(5000);
    assertThat(c.blobStores()).containsOnlyKeys("default");
    assertThat(c.blobStores().get("default").path()).isEqualTo("./wharf-data");
    assertThat(c.repositories()).singleElement().satisfies(r -> {
      assertThat(r.name()).isEqualTo("hosted");
      assertThat(r.type()).isEqualTo("hosted");
    });
  }

  @Test
  void parse_fullFile_buildsRepositories() {
    WharfConfig c = ConfigLoader.parse("""
        server: {bind: 0.0.0.0, port: 8081, accessLog: false}
        blobStores:
          default: {type: memory}
          disk: {type: file, path: /tmp/wharf-x}
        repositories:
          - {name: docker-hosted, type: hosted, writePolicy: allow_once, allowLatestRedeploy: true}
          - {name: releases, blobStore: disk, writePolicy: deny, metadataCacheTtl: 0s}
        """, "test.yaml");
    assertThat(c.server().port()).isEqualTo(8081);
    assertThat(c.server().accessLog()).isFalse();
    Registry registry = RegistryFactory.build(c);
    assertThat(registry.defaultRepository().name()).isEqualTo("docker-hosted");
    assertThat(((HostedRepository) registry.repository("docker-hosted").orElseThrow()).writePolicy())
        .isEqualTo(WritePolicy.ALLOW_ONCE);
    assertThat(((HostedRepository) registry.repository("releases").orElseThrow()).writePolicy())
        .isEqualTo(WritePolicy.DENY);
  }

  @Test
  void parse_unknownTopLevelKey_namesIt() {
    assertThatThrownBy(() -> ConfigLoader.parse("servre: {port: 1}\n", "wharf.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("wharf.yaml")
        .hasMessageContaining("unknown key \"servre\"");
  }

  @Test
  void parse_unknownNestedKey_namesItAndWhere() {
    assertThatThrownBy(() -> ConfigLoader.parse("repositories:\n  - {name: a, wirtePolicy: allow}\n", "w.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown key \"wirtePolicy\"")
        .hasMessageContaining("repositories[0]");
  }

  @Test
  void parse_badPort_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("server: {port: 70000}\n", "w.yaml"))
        .hasMessageContaining("server.port");
    assertThatThrownBy(() -> ConfigLoader.parse("server: {port: abc}\n", "w.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("server.port");
  }

  @Test
  void parse_duplicateRepositoryName_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("repositories: [{name: a}, {name: a}]\n", "w.yaml"))
        .hasMessageContaining("repositories[1] (a).name: duplicate repository name");
  }

  @Test
  void parse_badRepositoryName_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("repositories: [{name: 'a b'}]\n", "w.yaml"))
        .hasMessageContaining("repositories[0].name");
  }

  @Test
  void parse_nexusStyleName_isAccepted() {
    WharfConfig c = ConfigLoader.parse("repositories: [{name: docker-gcr.io}]\n", "w.yaml");
    assertThat(c.repositories().get(0).name()).isEqualTo("docker-gcr.io");
  }

  @Test
  void parse_unknownBlobStore_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("repositories: [{name: a, blobStore: nope}]\n", "w.yaml"))
        .hasMessageContaining("repositories[0] (a).blobStore: no blob store named \"nope\"");
  }

  @Test
  void parse_unknownWritePolicy_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("repositories: [{name: a, writePolicy: sometimes}]\n", "w.yaml"))
        .hasMessageContaining("writePolicy: unknown write policy \"sometimes\"");
  }

  @Test
  void parse_badDuration_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("repositories: [{name: a, metadataCacheTtl: soon}]\n", "w.yaml"))
        .hasMessageContaining("metadataCacheTtl: invalid duration \"soon\"");
  }

  @Test
  void parse_unknownRepositoryType_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("repositories: [{name: a, type: mirror}]\n", "w.yaml"))
        .hasMessageContaining("type: unknown repository type \"mirror\"; known: hosted, proxy");
  }

  @Test
  void parse_fileStoreWithoutPath_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("blobStores: {default: {type: file}}\n", "w.yaml"))
        .hasMessageContaining("blobStores.default.path");
  }

  @Test
  void parse_minFree_aSizeOrZero_setsTheStoresReserve() throws Exception {
    WharfConfig c = ConfigLoader.parse("""
        blobStores:
          big: {type: file, path: /tmp/wharf-minfree-test, minFree: 2GiB}
          none: {type: file, path: /tmp/wharf-minfree-test, minFree: 0}
          small: {type: memory, maxSize: 20MiB}
        """, "w.yaml");

    assertThat(space(c, "big").minFreeBytes()).isEqualTo(2L << 30);
    assertThat(space(c, "none").minFreeBytes()).isZero();
    assertThat(RegistryFactory.driver(c.blobStores().get("small")).space())
        .contains(new StorageDriver.Space(20 << 20, 20 << 20));
    assertThat(space(c, "small").minFreeBytes()).as("default: 5 %% of 20 MiB").isEqualTo(1 << 20);
  }

  private static StoreSpace space(WharfConfig c, String store) {
    return RegistryFactory.space(store, c.blobStores().get(store), RegistryFactory.driver(c.blobStores().get(store)));
  }

  @Test
  void parse_badMinFreeOrMaxSize_isRefusedNamingTheKey() {
    assertThatThrownBy(() -> ConfigLoader.parse("blobStores: {default: {type: file, path: /x, minFree: lots}}\n", "w.yaml"))
        .hasMessageContaining("blobStores.default.minFree: invalid size \"lots\"");
    assertThatThrownBy(() -> ConfigLoader.parse(
        "blobStores: {default: {type: s3, bucket: b, region: us-east-1, minFree: 1GiB}}\n", "w.yaml"))
        .hasMessageContaining("blobStores.default.minFree: an s3 store has no reserve");
    assertThatThrownBy(() -> ConfigLoader.parse("blobStores: {default: {type: file, path: /x, maxSize: 1GiB}}\n", "w.yaml"))
        .hasMessageContaining("blobStores.default.maxSize: only a memory store has a size limit");
    assertThatThrownBy(() -> ConfigLoader.parse("blobStores: {default: {type: memory, maxSize: 0}}\n", "w.yaml"))
        .hasMessageContaining("blobStores.default.maxSize: must be more than 0");
  }

  @Test
  void parse_malformedYaml_isAConfigException() {
    assertThatThrownBy(() -> ConfigLoader.parse("server: [unclosed\n", "w.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("w.yaml");
  }

  @Test
  void parse_proxyRepositories_withOutboundProxyAndOverride() {
    WharfConfig c = ConfigLoader.parse("""
        http:
          proxy: {host: 10.0.0.5, port: 8118}
          httpsProxy: {host: 10.0.0.5, port: 8118, username: u, password: p}
          nonProxyHosts: ["*.lan", localhost]
          timeout: 30s
          retries: 2
        repositories:
          - {name: docker-offical, type: proxy, remoteUrl: https://registry-1.docker.io, index: hub}
          - name: docker-quay.io
            type: proxy
            remoteUrl: https://quay.io
            metadataMaxAge: 6h
            outbound: {retries: 0, userAgent: my-agent}
        """, "w.yaml");
    assertThat(c.repositories()).extracting(WharfConfig.Repository::index).containsExactly("hub", "registry");
    assertThat(c.repositories().get(1).metadataMaxAge()).isEqualTo("6h");
    assertThat(c.http().nonProxyHosts()).containsExactly("*.lan", "localhost");
    assertThat(c.repositories().get(1).outbound().over(c.http()).timeout()).isEqualTo("30s");
    assertThat(c.repositories().get(1).outbound().over(c.http()).retries()).isZero();
    Registry registry = RegistryFactory.build(c);
    assertThat(registry.repository("docker-offical").orElseThrow())
        .isInstanceOfSatisfying(io.wharf.proxy.ProxyRepository.class,
            p -> assertThat(p.remoteUrl().toString()).isEqualTo("https://registry-1.docker.io"));
  }

  @Test
  void parse_autoBlock_defaultsThenServerWideThenPerRepository() {
    WharfConfig c = ConfigLoader.parse("""
        http:
          autoBlock: {after: 5, max: 1m}
        repositories:
          - {name: hub, type: proxy, remoteUrl: https://registry-1.docker.io}
          - {name: lab, type: proxy, remoteUrl: http://mirror.lan, outbound: {autoBlock: {after: 0}}}
        """, "w.yaml").withDefaults();

    assertThat(c.http().autoBlock()).isEqualTo(new WharfConfig.AutoBlock(5, "10s", "1m"));
    assertThat(c.repositories().get(1).outbound().over(c.http()).autoBlock())
        .isEqualTo(new WharfConfig.AutoBlock(0, "10s", "1m"));
    assertThat(WharfConfig.defaults().withDefaults().http().autoBlock()).isEqualTo(new WharfConfig.AutoBlock(3, "10s", "10m"));
    assertThat(RegistryFactory.build(c).repository("lab")).isPresent();
  }

  @Test
  void parse_autoBlock_badValues_nameTheKey() {
    assertThatThrownBy(() -> ConfigLoader.parse("http: {autoBlock: {after: -1}}\n", "w.yaml"))
        .hasMessageContaining("http.autoBlock.after: -1 is negative");
    assertThatThrownBy(() -> ConfigLoader.parse("http: {autoBlock: {initial: 5m, max: 1m}}\n", "w.yaml"))
        .hasMessageContaining("http.autoBlock.max: 1m is shorter than initial 5m");
    assertThatThrownBy(() -> ConfigLoader.parse("http: {autoBlock: {initial: soon}}\n", "w.yaml"))
        .hasMessageContaining("http.autoBlock.initial");
  }

  @Test
  void parse_proxyWithoutRemoteUrl_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("repositories: [{name: hub, type: proxy}]\n", "w.yaml"))
        .hasMessageContaining("repositories[0] (hub).remoteUrl: a proxy repository needs the URL");
  }

  @Test
  void parse_proxyWithBadUrlOrIndex_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("repositories: [{name: hub, type: proxy, remoteUrl: 'ftp://x'}]\n", "w.yaml"))
        .hasMessageContaining("remoteUrl: invalid URL");
    assertThatThrownBy(() -> ConfigLoader.parse(
        "repositories: [{name: hub, type: proxy, remoteUrl: 'https://x', index: dockerhub}]\n", "w.yaml"))
        .hasMessageContaining("index: unknown index \"dockerhub\"");
  }

  @Test
  void parse_keyOfTheWrongRepositoryType_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse(
        "repositories: [{name: hub, type: proxy, remoteUrl: 'https://x', writePolicy: deny}]\n", "w.yaml"))
        .hasMessageContaining("writePolicy: applies to hosted repositories only");
    assertThatThrownBy(() -> ConfigLoader.parse("repositories: [{name: h, remoteUrl: 'https://x'}]\n", "w.yaml"))
        .hasMessageContaining("remoteUrl: applies to proxy repositories only");
  }

  @Test
  void parse_outboundProxyWithoutPort_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("http: {proxy: {host: squid}}\n", "w.yaml"))
        .hasMessageContaining("http.proxy.port: missing");
  }

  static final String HOSTED_AND_PROXY = """
      repositories:
        - {name: h, type: hosted}
        - {name: p, type: proxy, remoteUrl: 'https://x'}
      """;

  @Test
  void parse_group_buildsMembersInOrder() {
    WharfConfig c = ConfigLoader.parse(HOSTED_AND_PROXY
        + "  - {name: g, type: group, members: [h, p], writableMember: h, http: {port: 18888}, hosts: [docker.sc.lan]}\n"
        + "server: {defaultRepository: g}\n", "w.yaml");
    Registry registry = RegistryFactory.build(c);
    assertThat(registry.defaultRepository().name()).isEqualTo("g");
    assertThat(registry.repository("g").orElseThrow())
        .isInstanceOfSatisfying(io.wharf.core.repository.GroupRepository.class, g -> {
          assertThat(g.members()).extracting(io.wharf.core.repository.Repository::name).containsExactly("h", "p");
          assertThat(g.writableMember().orElseThrow().name()).isEqualTo("h");
        });
  }

  @Test
  void parse_groupWithUnknownMember_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse(HOSTED_AND_PROXY + "  - {name: g, type: group, members: [h, nope]}\n", "w.yaml"))
        .hasMessageContaining("repositories (g).members: unknown member \"nope\"");
  }

  @Test
  void parse_groupCycle_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse(HOSTED_AND_PROXY
        + "  - {name: g1, type: group, members: [h, g2]}\n  - {name: g2, type: group, members: [g1]}\n", "w.yaml"))
        .hasMessageContaining("groups form a cycle: g1 -> g2 -> g1");
  }

  @Test
  void parse_writableMemberThatIsAProxy_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse(HOSTED_AND_PROXY
        + "  - {name: g, type: group, members: [h, p], writableMember: p}\n", "w.yaml"))
        .hasMessageContaining("writableMember: \"p\" is a proxy repository");
  }

  @Test
  void parse_groupWithoutMembers_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("repositories: [{name: g, type: group}]\n", "w.yaml"))
        .hasMessageContaining("members: a group needs at least one member");
  }

  @Test
  void parse_portClash_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("server: {port: 8081}\nrepositories: [{name: h, http: {port: 8081}}]\n", "w.yaml"))
        .hasMessageContaining("http.port: port 8081 is already used by server.port");
    assertThatThrownBy(() -> ConfigLoader.parse(
        "repositories: [{name: a, http: {port: 9000}}, {name: b, http: {port: 9000}}]\n", "w.yaml"))
        .hasMessageContaining("port 9000 is already used by repository a");
  }

  @Test
  void parse_hostClaimedTwice_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse(
        "repositories: [{name: a, hosts: [x.lan]}, {name: b, hosts: [X.lan]}]\n", "w.yaml"))
        .hasMessageContaining("host X.lan is already claimed by repository a");
  }

  @Test
  void parse_unknownDefaultRepository_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("server: {defaultRepository: nope}\n", "w.yaml"))
        .hasMessageContaining("server.defaultRepository: no repository named \"nope\"");
  }

  @Test
  void namespace_isNoneWhenAloneOnTheStore_elseTheRepositoryName() {
    WharfConfig alone = ConfigLoader.parse("repositories: [{name: h}]\n", "w.yaml");
    assertThat(RegistryFactory.namespace(alone.repositories().get(0), alone)).isNull();
    WharfConfig shared = ConfigLoader.parse(HOSTED_AND_PROXY, "w.yaml");
    assertThat(RegistryFactory.namespace(shared.repositories().get(0), shared)).isEqualTo("h");
    WharfConfig pinned = ConfigLoader.parse(HOSTED_AND_PROXY.replace("type: hosted}", "type: hosted, namespace: ''}"), "w.yaml");
    assertThat(RegistryFactory.namespace(pinned.repositories().get(0), pinned)).isNull();
  }

  @Test
  void parse_nexusLayoutExample_isValid() throws Exception {
    WharfConfig c = ConfigLoader.load(java.nio.file.Path.of("../examples/nexus-layout.yaml"));
    assertThat(c.repositories()).extracting(WharfConfig.Repository::name)
        .containsExactly("docker-hosted", "docker-offical", "docker-gcr.io", "docker-quay.io", "docker-all");
    assertThat(RegistryFactory.build(c).defaultRepository().name()).isEqualTo("docker-all");
  }

  @Test
  void parse_s3BlobStore_buildsTheS3Driver() throws Exception {
    WharfConfig c = ConfigLoader.parse("""
        blobStores:
          shared: {type: s3, bucket: registry, prefix: wharf, region: us-east-1, endpoint: 'http://127.0.0.1:9000',
                   pathStyle: true, accessKey: AKIA, secretKey: s3cret, partSize: 16MiB, redirect: true,
                   redirectExpiry: 10m, encryption: aes256}
        repositories: [{name: h, blobStore: shared}]
        """, "w.yaml");
    assertThat(c.blobStores().get("shared").toString()).doesNotContain("s3cret");
    io.wharf.core.storage.StorageDriver driver = RegistryFactory.driver(c.blobStores().get("shared"));
    try {
      assertThat(driver).isInstanceOfSatisfying(io.wharf.storage.s3.S3Driver.class, d -> {
        assertThat(d.config().bucket()).isEqualTo("registry");
        assertThat(d.config().partSize()).isEqualTo(16 * 1024 * 1024);
        assertThat(d.config().pathStyle()).isTrue();
      });
    } finally {
      ((AutoCloseable) driver).close();
    }
  }

  @Test
  void parse_s3BlobStoreWithoutBucket_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("blobStores: {s: {type: s3}}\nrepositories: [{name: h, blobStore: s}]\n", "w.yaml"))
        .hasMessageContaining("blobStores.s.bucket: an s3 blob store needs a bucket");
    assertThatThrownBy(() -> ConfigLoader.parse(
        "blobStores: {s: {type: s3, bucket: b, accessKey: a}}\nrepositories: [{name: h, blobStore: s}]\n", "w.yaml"))
        .hasMessageContaining("give both accessKey and secretKey");
  }

  @Test
  void sizes_parseUnits() {
    assertThat(Sizes.parse("512MiB", "k")).isEqualTo(512L << 20);
    assertThat(Sizes.parse("2GiB", "k")).isEqualTo(2L << 30);
    assertThat(Sizes.parse("64kb", "k")).isEqualTo(64L << 10);
    assertThat(Sizes.parse("100", "k")).isEqualTo(100);
    assertThatThrownBy(() -> Sizes.parse("lots", "a.b")).hasMessageStartingWith("a.b: invalid size");
  }

  @Test
  void override_commandLineWinsOverFile() {
    WharfConfig c = ConfigLoader.parse("server: {port: 8081}\n", "w.yaml").override("0.0.0.0", 0, "/data/x");
    assertThat(c.server().bind()).isEqualTo("0.0.0.0");
    assertThat(c.server().port()).isZero();
    assertThat(c.blobStores().get("default").path()).isEqualTo("/data/x");
  }

  @Test
  void durations_parseUnits() {
    assertThat(Durations.parse("500ms", "k")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("30s", "k")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Durations.parse("6h", "k")).isEqualTo(Duration.ofHours(6));
    assertThat(Durations.parse("7d", "k")).isEqualTo(Duration.ofDays(7));
    assertThatThrownBy(() -> Durations.parse("7 weeks", "a.b")).hasMessageStartingWith("a.b: invalid duration");
  }

  // ---------------------------------------------------------------- security and TLS

  static final String HASH = io.wharf.server.auth.PasswordHashes.hash("pw".toCharArray(), 4);

  static String secured(String security) {
    return "repositories: [{name: docker-hosted, anonymousPull: true}, {name: other}]\nsecurity:\n" + security;
  }

  @Test
  void parse_noSecuritySection_meansOpen() {
    assertThat(ConfigLoader.parse("repositories: [{name: a}]\n", "w.yaml").security()).isNull();
    assertThat(WharfConfig.defaults().security()).isNull();
  }

  @Test
  void parse_security_readsUsersAndRoles_withDefaults() {
    WharfConfig c = ConfigLoader.parse(secured("""
          users: [{name: ci, passwordHash: "HASH", roles: [pusher]}]
          roles: [{name: pusher, privileges: ["docker-hosted:write", "*:read"]}]
        """.replace("HASH", HASH)), "w.yaml");
    WharfConfig.Security s = c.security();
    assertThat(s.realms()).containsExactly("docker-token", "basic");
    assertThat(s.anonymous()).isTrue();
    assertThat(s.users()).singleElement().satisfies(u -> assertThat(u.roles()).containsExactly("pusher"));
    assertThat(s.token()).isEqualTo(new WharfConfig.Token("wharf", "wharf", "5m", "7d", null, "30d"));
    assertThat(s.throttle()).isEqualTo(new WharfConfig.Throttle(10, "5m", "5m"));
    assertThat(c.repositories().get(0).anonymousPull()).isTrue();
    assertThat(s.users().get(0).toString()).doesNotContain(HASH);
  }

  @Test
  void parse_emptySecuritySection_turnsSecurityOn() {
    assertThat(ConfigLoader.parse("security: {}\n", "w.yaml").security()).isNotNull();
  }

  @Test
  void parse_securityUnknownKey_namesIt() {
    assertThatThrownBy(() -> ConfigLoader.parse(secured("  anonymus: true\n"), "w.yaml"))
        .hasMessageContaining("unknown key \"anonymus\"").hasMessageContaining("security");
  }

  @Test
  void parse_unknownRealm_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse(secured("  realms: [docker-token, saml]\n"), "w.yaml"))
        .hasMessageContaining("security.realms: unknown realm \"saml\"");
    assertThatThrownBy(() -> ConfigLoader.parse(secured("  realms: []\n"), "w.yaml"))
        .hasMessageContaining("security.realms: at least one realm");
  }

  @Test
  void parse_privilegeOfAnUnknownRepositoryOrAction_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse(secured("  roles: [{name: r, privileges: [\"docker-hostd:read\"]}]\n"),
        "w.yaml")).hasMessageContaining("security.roles[0] (r).privileges: \"docker-hostd:read\" names no repository");
    assertThatThrownBy(() -> ConfigLoader.parse(secured("  roles: [{name: r, privileges: [\"docker-hosted:pull\"]}]\n"),
        "w.yaml")).hasMessageContaining("security.roles[0] (r).privileges").hasMessageContaining("unknown action");
  }

  @Test
  void parse_userWithUnknownRoleOrBadHash_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse(secured("  users: [{name: ci, passwordHash: \"" + HASH
        + "\", roles: [pushr]}]\n"), "w.yaml")).hasMessageContaining("security.users[0] (ci).roles: unknown role \"pushr\"");
    assertThatThrownBy(() -> ConfigLoader.parse(secured("  users: [{name: ci, passwordHash: secret}]\n"), "w.yaml"))
        .hasMessageContaining("security.users[0] (ci).passwordHash: not a bcrypt hash")
        .hasMessageContaining("hash-password");
    assertThatThrownBy(() -> ConfigLoader.parse(secured("  users: [{name: ci}]\n"), "w.yaml"))
        .hasMessageContaining("security.users[0] (ci).passwordHash: missing");
    assertThatThrownBy(() -> ConfigLoader.parse(secured("  users: [{name: \"a:b\", passwordHash: \"" + HASH + "\"}]\n"),
        "w.yaml")).hasMessageContaining("security.users[0].name");
  }

  @Test
  void parse_htpasswd_aSingleFileOrAList_andItsUsersNeedNoHash(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path file = dir.resolve("users.htpasswd");
    java.nio.file.Files.writeString(file, "ci:" + HASH + "\n");
    WharfConfig c = ConfigLoader.parse(secured("""
          htpasswd: FILE
          htpasswdRoles: [reader]
          users: [{name: ci, roles: [reader]}]
          roles: [{name: reader, privileges: ["docker-hosted:read"]}]
        """.replace("FILE", file.toString())), "w.yaml");
    assertThat(c.security().htpasswd()).containsExactly(file.toString());

    assertThatThrownBy(() -> ConfigLoader.parse(secured("  htpasswd: [" + dir.resolve("nope") + "]\n"), "w.yaml"))
        .hasMessageContaining("security.htpasswd[0]: no such file");
    java.nio.file.Files.writeString(file, "old:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/\n");
    assertThatThrownBy(() -> ConfigLoader.parse(secured("  htpasswd: " + file + "\n"), "w.yaml"))
        .hasMessageContaining("security.htpasswd[0]").hasMessageContaining("line 1").hasMessageContaining("bcrypt");
    assertThatThrownBy(() -> ConfigLoader.parse(secured("  htpasswdRoles: [nope]\n"), "w.yaml"))
        .hasMessageContaining("security.htpasswdRoles: unknown role \"nope\"");
  }

  @Test
  void parse_tokenAndThrottleSettings_areChecked() {
    assertThatThrownBy(() -> ConfigLoader.parse(secured("  token: {expiry: 5 minutes}\n"), "w.yaml"))
        .hasMessageContaining("security.token.expiry: invalid duration");
    assertThatThrownBy(() -> ConfigLoader.parse(secured("  token: {expiry: 30d}\n"), "w.yaml"))
        .hasMessageContaining("security.token.expiry: 30d is not between 1s and 1d");
    assertThatThrownBy(() -> ConfigLoader.parse(secured("  token: {signingKey: /nonexistent/key.pem}\n"), "w.yaml"))
        .hasMessageContaining("security.token.signingKey: no such file");
    assertThatThrownBy(() -> ConfigLoader.parse(secured("  throttle: {maxFailures: -1}\n"), "w.yaml"))
        .hasMessageContaining("security.throttle.maxFailures");
  }

  @Test
  void parse_repositoryRealms_needSecurity_andKnownRealms() {
    assertThatThrownBy(() -> ConfigLoader.parse("repositories: [{name: a, realms: [basic]}]\n", "w.yaml"))
        .hasMessageContaining("repositories (a).realms: applies only with a security section");
    assertThatThrownBy(() -> ConfigLoader.parse("security: {}\nrepositories: [{name: a, realms: [bsic]}]\n", "w.yaml"))
        .hasMessageContaining("repositories (a).realms: unknown realm \"bsic\"");
    assertThat(ConfigLoader.parse("security: {}\nrepositories: [{name: a, realms: [basic]}]\n", "w.yaml")
        .repositories().get(0).realms()).containsExactly("basic");
  }

  @Test
  void parse_tls_needsOneCompleteForm() {
    assertThatThrownBy(() -> ConfigLoader.parse("server: {tls: {certificate: a.pem}}\n", "w.yaml"))
        .hasMessageContaining("server.tls.key: missing");
    assertThatThrownBy(() -> ConfigLoader.parse("server: {tls: {certificate: a.pem, key: k.pem, pkcs12: x.p12}}\n",
        "w.yaml")).hasMessageContaining("server.tls: give either certificate and key");
    assertThatThrownBy(() -> ConfigLoader.parse("server: {tls: {pkcs12: /nonexistent.p12, password: x}}\n", "w.yaml"))
        .hasMessageContaining("server.tls.pkcs12: no such file");
    assertThatThrownBy(() -> ConfigLoader.parse(
        "repositories: [{name: a, http: {port: 0, tls: {certificate: /nonexistent.pem, key: /k.pem}}}]\n", "w.yaml"))
        .hasMessageContaining("repositories (a).http.tls.certificate: no such file");
  }

  @Test
  void parse_tls_fromPemAndPkcs12(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(io.wharf.server.auth.TestCa.available());
    io.wharf.server.auth.TestCa ca = io.wharf.server.auth.TestCa.create(dir);
    WharfConfig c = ConfigLoader.parse("""
        server: {tls: {certificate: CERT, key: KEY}}
        repositories: [{name: a, http: {port: 0, tls: {pkcs12: P12, password: PW}}}]
        """.replace("CERT", ca.serverCertificate().toString()).replace("KEY", ca.serverKey().toString())
        .replace("P12", ca.serverPkcs12().toString()).replace("PW", io.wharf.server.auth.TestCa.P12_PASSWORD), "w.yaml");
    assertThat(c.server().tls().certificate()).isEqualTo(ca.serverCertificate().toString());
    assertThat(c.repositories().get(0).http().tls().toString()).doesNotContain(io.wharf.server.auth.TestCa.P12_PASSWORD);
    assertThatThrownBy(() -> ConfigLoader.parse("server: {tls: {certificate: CERT, key: CERT}}\n"
        .replace("CERT", ca.serverCertificate().toString()), "w.yaml"))
        .hasMessageContaining("server.tls").hasMessageContaining("no private key");
    assertThatThrownBy(() -> ConfigLoader.parse("server: {tls: {pkcs12: P12, password: nope}}\n"
        .replace("P12", ca.serverPkcs12().toString()), "w.yaml"))
        .hasMessageContaining("server.tls").hasMessageContaining("wrong password");
  }

  @Test
  void parse_badPublicUrl_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("server: {publicUrl: registry.example.com}\n", "w.yaml"))
        .hasMessageContaining("server.publicUrl: invalid URL");
  }

  @Test
  void parse_lifecycleKeys_areRead() {
    WharfConfig c = ConfigLoader.parse("""
        blobStores:
          default: {type: memory, maintenance: {schedule: "every 6h", deleteUntagged: true}}
        repositories:
          - {name: a, cleanup: {keepLatest: 10, olderThan: 90d, exclude: "latest|v.*"}, quota: {hard: 10GiB, soft: 8GiB}}
          - {name: hub, type: proxy, remoteUrl: "https://registry-1.docker.io", cache: {maxSize: 50GiB}}
        """, "w.yaml");
    WharfConfig.Maintenance m = c.blobStores().get("default").maintenance();
    assertThat(m.schedule()).isEqualTo("every 6h");
    assertThat(m.grace()).isEqualTo("1h");
    assertThat(m.purgeUploads()).isEqualTo("24h");
    assertThat(m.deleteUntagged()).isTrue();
    assertThat(m.gc()).isTrue();
    assertThat(c.repositories().get(0).cleanup().keepLatest()).isEqualTo(10);
    assertThat(LifecycleConfig.quota(c.repositories().get(0).quota(), "q").hardBytes()).isEqualTo(10L << 30);
    assertThat(LifecycleConfig.cache(c.repositories().get(1).cache(), "c").maxSize()).isEqualTo(50L << 30);
  }

  @Test
  void parse_badLifecycleValues_nameTheKey() {
    assertThatThrownBy(() -> ConfigLoader.parse("blobStores: {default: {type: memory, maintenance: {schedule: \"0 25 * * *\"}}}\n", "w.yaml"))
        .hasMessageContaining("blobStores.default.maintenance.schedule").hasMessageContaining("bad hour");
    assertThatThrownBy(() -> ConfigLoader.parse("blobStores: {default: {type: memory, maintenance: {grace: soon}}}\n", "w.yaml"))
        .hasMessageContaining("maintenance.grace: invalid duration");
    assertThatThrownBy(() -> ConfigLoader.parse("repositories: [{name: a, cleanup: {exclude: latest}}]\n", "w.yaml"))
        .hasMessageContaining("repositories (a).cleanup").hasMessageContaining("keepLatest, olderThan or notPulledFor");
    assertThatThrownBy(() -> ConfigLoader.parse("repositories: [{name: a, cleanup: {keepLatest: 1, include: \"[\"}}]\n", "w.yaml"))
        .hasMessageContaining("repositories (a).cleanup").hasMessageContaining("include");
    assertThatThrownBy(() -> ConfigLoader.parse("repositories: [{name: a, quota: {hard: 1GiB, soft: 2GiB}}]\n", "w.yaml"))
        .hasMessageContaining("quota.soft").hasMessageContaining("above the hard limit");
    assertThatThrownBy(() -> ConfigLoader.parse("repositories: [{name: a, quota: {hard: lots}}]\n", "w.yaml"))
        .hasMessageContaining("quota.hard: invalid size");
    assertThatThrownBy(() -> ConfigLoader.parse(
        "repositories: [{name: p, type: proxy, remoteUrl: \"http://x\", cleanup: {keepLatest: 1}}]\n", "w.yaml"))
        .hasMessageContaining("cleanup: applies to hosted repositories only").hasMessageContaining("cache:");
    assertThatThrownBy(() -> ConfigLoader.parse("repositories: [{name: a, cache: {maxSize: 1GiB}}]\n", "w.yaml"))
        .hasMessageContaining("cache: applies to proxy repositories only");
  }

  @Test
  void parse_lifecycleOnANamespacelessRepositorySharingItsStore_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("""
        repositories:
          - {name: old, namespace: "", cleanup: {keepLatest: 3}}
          - {name: team}
        """, "w.yaml"))
        .hasMessageContaining("repositories (old)").hasMessageContaining("namespace").hasMessageContaining("[team]");
    // alone on its store it is fine
    ConfigLoader.parse("repositories: [{name: old, namespace: \"\", quota: {hard: 1GiB}}]\n", "w.yaml");
  }

  @Test
  void parse_aScheduleThatNeverFires_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse(
        "blobStores: {default: {type: memory, maintenance: {schedule: \"0 0 30 2 *\"}}}\n", "w.yaml"))
        .hasMessageContaining("maintenance.schedule").hasMessageContaining("never fires");
  }

  // ---------------------------------------------------------------- server edge: proxies, timeouts, limits

  @Test
  void parse_serverEdgeDefaults_noTrustedProxies_documentedTimeoutsAndLimit() {
    WharfConfig.Server s = ConfigLoader.parse("", "w.yaml").server();

    assertThat(s.trustedProxies()).isEmpty();
    assertThat(s.idleTimeout()).isEqualTo("5m");
    assertThat(s.headerTimeout()).isEqualTo("30s");
    assertThat(s.maxConnections()).isEqualTo(1000);
  }

  @Test
  void parse_trustedProxies_addressesAndRangesOfBothFamilies() {
    WharfConfig c = ConfigLoader.parse("""
        server: {trustedProxies: [10.0.0.5, 10.1.0.0/16, "::1", "fd00::/8"], idleTimeout: 2m, headerTimeout: 10s,
                 maxConnections: 200}
        repositories: [{name: a, http: {port: 0, maxConnections: 50}}]
        """, "w.yaml");

    assertThat(c.server().trustedProxies()).containsExactly("10.0.0.5", "10.1.0.0/16", "::1", "fd00::/8");
    assertThat(c.repositories().get(0).http().maxConnections()).isEqualTo(50);
    AddressRanges ranges = AddressRanges.parse(c.server().trustedProxies(), "server.trustedProxies");
    assertThat(ranges.contains(AddressRanges.literal("10.0.0.5"))).isTrue();
    assertThat(ranges.contains(AddressRanges.literal("10.0.0.6"))).isFalse();
    assertThat(ranges.contains(AddressRanges.literal("10.1.255.7"))).isTrue();
    assertThat(ranges.contains(AddressRanges.literal("10.2.0.1"))).isFalse();
    assertThat(ranges.contains(AddressRanges.literal("::1"))).isTrue();
    assertThat(ranges.contains(AddressRanges.literal("fd12:3456::1"))).isTrue();
    assertThat(ranges.contains(AddressRanges.literal("fe80::1"))).isFalse();
    assertThat(ranges.contains(AddressRanges.literal("127.0.0.1"))).isFalse();
  }

  @Test
  void parse_trustedProxyThatIsNoAddress_isRefused_withoutALookup() {
    assertThatThrownBy(() -> ConfigLoader.parse("server: {trustedProxies: [10.0.0.1, proxy.lan]}\n", "w.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("server.trustedProxies[1]")
        .hasMessageContaining("\"proxy.lan\" is not an IP address or CIDR range");
    assertThatThrownBy(() -> ConfigLoader.parse("server: {trustedProxies: [10.0.0.0/33]}\n", "w.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("server.trustedProxies[0]")
        .hasMessageContaining("between 0 and 32");
    assertThatThrownBy(() -> ConfigLoader.parse("server: {trustedProxies: [\"::1/129\"]}\n", "w.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("between 0 and 128");
  }

  @Test
  void parse_badTimeoutsAndLimits_areRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("server: {headerTimeout: 0s}\n", "w.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("server.headerTimeout: must be longer than 0");
    assertThatThrownBy(() -> ConfigLoader.parse("server: {idleTimeout: soon}\n", "w.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("server.idleTimeout: invalid duration");
    assertThatThrownBy(() -> ConfigLoader.parse("server: {maxConnections: 0}\n", "w.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("server.maxConnections: 0 is not a number");
    assertThatThrownBy(() -> ConfigLoader.parse("repositories: [{name: a, http: {port: 0, maxConnections: -1}}]\n",
        "w.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("repositories (a).http.maxConnections");
  }

  @Test
  void override_keepsTheServerEdgeSettings() {
    WharfConfig c = ConfigLoader.parse("server: {trustedProxies: [10.0.0.5], headerTimeout: 3s, maxConnections: 7}\n",
        "w.yaml").override("0.0.0.0", 0, null);

    assertThat(c.server().bind()).isEqualTo("0.0.0.0");
    assertThat(c.server().trustedProxies()).containsExactly("10.0.0.5");
    assertThat(c.server().headerTimeout()).isEqualTo("3s");
    assertThat(c.server().maxConnections()).isEqualTo(7);
  }
}
