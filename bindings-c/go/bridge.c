/* bridge.c: passes audit events from libimds to Go. */
#include "bridge.h"

#include "_cgo_export.h"

static void imds_go_audit_trampoline(const imds_audit_event *event,
                                     void *user_data)
{
    goImdsAudit((imds_audit_event *)event, (uintptr_t)user_data);
}

imds_result imds_go_set_audit(imds_config *config, uintptr_t handle)
{
    return imds_config_set_audit_callback(config, imds_go_audit_trampoline,
                                          (void *)handle);
}
