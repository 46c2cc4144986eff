"""What both client scripts share: the argument convention, loading the simulator's
kubeconfig, and one JSON object per output line for the Swift test to assert on."""
import json
import sys

from kubernetes import config

GROUP = "split.smi-spec.io"


def out(**kw):
    print(json.dumps(kw), flush=True)


def connect():
    """KUBECONFIG SPLIT_VERSION NAMESPACE NAME from argv; loads the kubeconfig."""
    kubeconfig, version, ns, name = sys.argv[1:5]
    config.load_kube_config(config_file=kubeconfig)
    return version, ns, name
