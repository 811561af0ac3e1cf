package io.caiman.coordinator;

import io.caiman.core.config.ClusterConfig;
import io.caiman.core.config.ZooKeeperSettings;
import io.caiman.error.CaimanException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * The one way Caiman creates a Curator client: for a {@code sharedlock} cluster, under its chroot
 * {@code /caiman/<name>}, with the configured session and connection timeouts (Curator would ask for a 60 s
 * session; the session timeout bounds how long a dead lock holder blocks a crawl slot) and a bounded
 * exponential-backoff retry policy.
 *
 * <pre>{@code
 * try (CuratorFramework zk = CuratorClients.start(config.zookeeper(), locks, Duration.ofSeconds(10))) {
 *     zk.create().creatingParentsIfNeeded().forPath("/members/node-1");   // /caiman/<name>/members/node-1
 * }
 * }</pre>
 */
public final class CuratorClients {

    private CuratorClients() {}

    /**
     * An unstarted client.
     *
     * @throws IllegalArgumentException if {@code cluster} is not a sharedlock cluster
     */
    public static CuratorFramework newClient(ZooKeeperSettings settings, ClusterConfig cluster) {
        return newClient(settings, cluster, null);
    }

    /**
     * An unstarted client whose nodes hold {@code defaultData} unless given other data (a lock node then names
     * its holder), or the local address when {@code null}.
     */
    public static CuratorFramework newClient(ZooKeeperSettings settings, ClusterConfig cluster, byte[] defaultData) {
        if (cluster.type() != ClusterConfig.Type.SHAREDLOCK) {
            throw new IllegalArgumentException("cluster " + cluster.name() + " is " + cluster.type()
                    + "; ZooKeeper clients are for sharedlock clusters");
        }
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder();
        if (defaultData != null) {
            builder.defaultData(defaultData);
        }
        return builder
                .connectString(cluster.connectString())
                .namespace(cluster.zookeeperChroot().substring(1))
                .sessionTimeoutMs((int) settings.sessionTimeout().toMillis())
                .connectionTimeoutMs((int) settings.connectionTimeout().toMillis())
                .retryPolicy(new ExponentialBackoffRetry(100, settings.retries(), 5_000))
                .build();
    }

    /**
     * A started client, connected within {@code wait}.
     *
     * @throws CaimanException naming the servers, if it does not connect in time
     */
    public static CuratorFramework start(ZooKeeperSettings settings, ClusterConfig cluster, Duration wait) {
        return start(newClient(settings, cluster), cluster, wait);
    }

    /** Starts {@code client} and waits for its connection; see {@link #start(ZooKeeperSettings, ClusterConfig, Duration)}. */
    public static CuratorFramework start(CuratorFramework client, ClusterConfig cluster, Duration wait) {
        client.start();
        try {
            if (!client.blockUntilConnected((int) wait.toMillis(), TimeUnit.MILLISECONDS)) {
                client.close();
                throw new CaimanException("cannot connect to ZooKeeper " + cluster.connectString() + " (cluster "
                        + cluster.name() + ") within " + wait.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            client.close();
            Thread.currentThread().interrupt();
            throw new CaimanException("interrupted while connecting to ZooKeeper " + cluster.connectString(), e);
        }
        return client;
    }
}
