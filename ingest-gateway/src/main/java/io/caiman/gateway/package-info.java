/** The stateless ingest gateway: listeners that turn requests into acknowledged oplog records. */
package io.caiman.gateway;
