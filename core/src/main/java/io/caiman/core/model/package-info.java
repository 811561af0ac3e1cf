/** Series identity: labels, the canonical series key (the oplog record key), tenants and naming rules. */
package io.caiman.core.model;
