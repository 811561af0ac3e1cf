package io.caiman.testing;

import java.util.concurrent.atomic.AtomicInteger;

/** Small YAML configurations pointing at the {@link SharedCluster}, each with a fresh cluster name. */
public final class TestConfigs {

    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private TestConfigs() {}

    /** A cluster name no other test in this JVM uses. */
    public static String uniqueName(String prefix) {
        return prefix + "-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
    }

    /**
     * One oplog cluster on the shared broker, an HTTP entrypoint and a processor, both on free ports.
     *
     * @param stateDir the processor's state directory
     */
    public static String oplog(String name, int partitions, String stateDir) {
        return String.join("\n",
                "clusters:",
                "  - name: " + name,
                "    type: oplog",
                "    servers: [" + SharedCluster.kafka().bootstrapServers() + "]",
                "    partitions: " + partitions,
                "    replica_factor: 1",
                "entrypoints:",
                "  - protocol: http",
                "    listen: 127.0.0.1:0",
                "    cluster: " + name,
                "processor:",
                "  listen: 127.0.0.1:0",
                "  state_dir: '" + stateDir + "'",
                "");
    }
}
