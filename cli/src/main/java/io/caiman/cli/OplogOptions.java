package io.caiman.cli;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.error.CaimanException;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options of commands that read an oplog: the configuration, which oplog cluster, and how long to wait for it. */
final class OplogOptions {

    @Mixin
    ConfigOptions config;

    @Option(names = "--cluster", paramLabel = "NAME",
            description = "The oplog cluster (default: processor.cluster, or the configuration's only oplog cluster).")
    String cluster;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "15s", converter = DurationConverter.class,
            description = "How long to wait for the oplog's Kafka cluster before failing (30s, 2m). Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    /** The configuration, checked. */
    CaimanConfig load() {
        return config.load();
    }

    /**
     * The oplog cluster {@code --cluster} names, or the configuration's processor cluster.
     *
     * @throws CaimanException if there is none, or it is not an oplog cluster
     */
    ClusterConfig oplog(CaimanConfig cfg) {
        String name = cluster != null ? cluster : cfg.processor().cluster();
        if (name == null) {
            throw new CaimanException("the configuration does not define exactly one oplog cluster; name one with --cluster");
        }
        ClusterConfig c = cfg.cluster(name).orElseThrow(() -> new CaimanException("the configuration has no cluster "
                + "named " + name));
        if (c.type() != ClusterConfig.Type.OPLOG) {
            throw new CaimanException("cluster " + name + " is a " + c.type().name().toLowerCase(Locale.ROOT)
                    + " cluster, not an oplog cluster");
        }
        return c;
    }
}
