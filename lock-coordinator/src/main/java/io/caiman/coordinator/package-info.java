/**
 * Coordination on ZooKeeper for sharedlock clusters: the Curator client factory today; shared locks,
 * membership and the exactly-once crawl scheduler build on it.
 */
package io.caiman.coordinator;
