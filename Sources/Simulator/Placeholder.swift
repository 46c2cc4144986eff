import Hummingbird
import HummingbirdTLS
import NIOSSL
import X509
import Crypto
public enum SimulatorModule {}
