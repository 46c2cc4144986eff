public enum TransportModule {}
