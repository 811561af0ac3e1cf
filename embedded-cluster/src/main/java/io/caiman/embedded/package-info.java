/**
 * Real Kafka (KRaft) and ZooKeeper servers in this JVM, on 127.0.0.1 only: for dev mode, local clusters
 * and integration tests. One implementation serves all three.
 */
package io.caiman.embedded;
