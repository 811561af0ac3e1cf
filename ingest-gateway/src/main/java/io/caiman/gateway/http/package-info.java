/** The gateway's HTTP ingest endpoints: thin adapters from requests to parsers and the oplog writer. */
package io.caiman.gateway.http;
