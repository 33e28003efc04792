package dev.dfcache.cluster;

/** Marker for messages that cross scheduler nodes; bound to jackson-cbor in application.conf. */
public interface CborSerializable {}
