/** The sharding function: which oplog partition a series belongs to. A documented, pinned contract. */
package io.caiman.core.shard;
