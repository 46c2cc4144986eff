import APIServer
import Foundation
import Kube
import KubeCore
import SMI

/// Records a non-apply write in managedFields, as the real server does for every write
/// that names (or implies) a field manager.
func recordManagedUpdate(old: JSON?, new: JSON, manager: String, apiVersion: String, subresource: String? = nil) -> JSON {
    recordUpdate(old: old, new: new, manager: manager, apiVersion: apiVersion, now: KubeTime.format(Date()), subresource: subresource)
}
