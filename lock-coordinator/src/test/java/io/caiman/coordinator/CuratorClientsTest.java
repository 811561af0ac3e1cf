package io.caiman.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.error.CaimanException;
import io.caiman.testing.SharedCluster;
import io.caiman.testing.TestConfigs;
import java.time.Duration;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("integration")
class CuratorClientsTest {

    static CaimanConfig config(String name, String servers) {
        return ConfigLoader.parse(String.join("\n",
                "clusters:",
                "  - {name: oplog, type: oplog, servers: [127.0.0.1:9092]}",
                "  - {name: " + name + ", type: sharedlock, servers: [" + servers + "]}",
                "zookeeper:",
                "  session_timeout: 6s",
                "  connection_timeout: 2s",
                "  retries: 1",
                ""), "test.yaml");
    }

    @Test
    void shouldWorkUnderTheClustersChrootWithTheConfiguredSession() throws Exception {
        String name = TestConfigs.uniqueName("locks");
        CaimanConfig config = config(name, SharedCluster.zookeeper().connectString());
        try (CuratorFramework zk = CuratorClients.start(config.zookeeper(), config.requireCluster(name), Duration.ofSeconds(10));
                CuratorFramework root = CuratorFrameworkFactory.newClient(SharedCluster.zookeeper().connectString(),
                        new RetryOneTime(100))) {
            zk.create().creatingParentsIfNeeded().forPath("/members/node-1", "x".getBytes());
            root.start();
            assertThat(root.checkExists().forPath("/caiman/" + name + "/members/node-1")).isNotNull();
            assertThat(zk.getZookeeperClient().getZooKeeper().getSessionTimeout()).isBetween(1, 6_000);
        }
    }

    @Test
    void shouldRefuseAnOplogClusterAndNameUnreachableServers() {
        CaimanConfig config = config("locks", "127.0.0.1:1");
        assertThatThrownBy(() -> CuratorClients.newClient(config.zookeeper(), config.requireCluster("oplog")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sharedlock");
        assertThatThrownBy(() -> CuratorClients.start(config.zookeeper(), config.requireCluster("locks"), Duration.ofSeconds(1)))
                .isInstanceOf(CaimanException.class)
                .hasMessageContaining("cannot connect to ZooKeeper 127.0.0.1:1 (cluster locks) within 1 s");
    }
}
