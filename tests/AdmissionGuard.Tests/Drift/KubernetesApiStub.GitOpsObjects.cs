using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AdmissionGuard.Tests.Drift;

/// <summary>
/// The stub's answer to a merge patch of a GitOps tool's object (a Flux Kustomization, an Argo CD Application):
/// recorded, and answered with the patch applied to the object the test declared, or the Status of
/// <c>errors-404-not-found.json</c> when it declared none.
/// </summary>
public sealed partial class KubernetesApiStub
{
    private readonly Dictionary<string, JsonObject> _custom = new(StringComparer.Ordinal);

    /// <summary>The merge patches received: "group/plural ns/name" and the patch.</summary>
    public List<(string Target, JsonObject Patch)> Patches { get; } = [];

    /// <summary>Declares an object the guard may patch, e.g. ("kustomize.toolkit.fluxcd.io", "kustomizations", "flux-system", "apps").</summary>
    public void Declare(string group, string plural, string ns, string name)
    {
        lock (_gate)
        {
            _custom[$"{group}/{plural} {ns}/{name}"] = new JsonObject { ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns } };
        }
    }

    private void MapGitOpsObjects() =>
        _app.MapPatch("/apis/{group}/{version}/namespaces/{ns}/{plural}/{name}", async (string group, string plural, string ns, string name, HttpRequest request) =>
        {
            var patch = (await JsonNode.ParseAsync(request.Body))!.AsObject();
            var target = $"{group}/{plural} {ns}/{name}";
            lock (_gate)
            {
                Patches.Add((target, patch.DeepClone().AsObject()));
                if (!_custom.TryGetValue(target, out var current))
                {
                    return Status(404, "NotFound", $"{plural}.{group} \"{name}\" not found", new JsonObject { ["name"] = name, ["group"] = group, ["kind"] = plural });
                }

                foreach (var (key, value) in patch)
                {
                    current[key] = value?.DeepClone();
                }

                return Results.Json(current);
            }
        });
}
