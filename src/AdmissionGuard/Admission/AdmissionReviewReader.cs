using System.Collections.Immutable;
using System.Text.Json;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Admission;

/// <summary>
/// One admission request as read from the wire. <see cref="Input"/> is null when the request is for a
/// resource other than NetworkPolicies (a misconfigured webhook), which is answered without a decision.
/// </summary>
public sealed record AdmissionRequest(string Uid, string Resource, AdmissionInput? Input);

/// <summary>
/// Reads an <c>admission.k8s.io/v1</c> AdmissionReview as the API server sends it (<c>object: null</c>
/// on DELETE, <c>status: {}</c>, server metadata) and rejects what no API server would send.
/// </summary>
public static class AdmissionReviewReader
{
    private const string NetworkingGroup = "networking.k8s.io";

    /// <param name="body">The request body.</param>
    /// <param name="baseline">The baseline the request will be judged against: a spec the API server sends exactly as
    /// Git declares it is then recognised without being read (<see cref="ServedSpec"/>).</param>
    /// <param name="annotationMatters">Annotations a decision can depend on; the others are left out unread (<see cref="DecisionSettings.AnnotationMatters"/>).</param>
    public static AdmissionRequest Read(System.Buffers.ReadOnlySequence<byte> body, Baseline? baseline = null, Func<string, bool>? annotationMatters = null)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 128 });
        }
        catch (JsonException e)
        {
            throw new BadReviewException($"body is not JSON: {e.Message.ReplaceLineEndings(" ")}");
        }

        using (document)
        {
            try
            {
                return Read(document.RootElement, baseline, annotationMatters);
            }
            catch (InvalidOperationException e)
            {
                // JsonElement.GetString refuses escaped lone surrogates ("\ud800"), which the parser lets through.
                throw new BadReviewException($"body has a string that is not valid Unicode: {e.Message.ReplaceLineEndings(" ")}");
            }
        }
    }

    public static AdmissionRequest Read(JsonElement review, Baseline? baseline = null, Func<string, bool>? annotationMatters = null)
    {
        if (review.ValueKind != JsonValueKind.Object
            || String(review, "apiVersion") != "admission.k8s.io/v1"
            || String(review, "kind") != "AdmissionReview")
        {
            throw new BadReviewException("body is not an admission.k8s.io/v1 AdmissionReview (apiVersion and kind)");
        }

        if (!review.TryGetProperty("request", out var request) || request.ValueKind != JsonValueKind.Object)
        {
            throw new BadReviewException("AdmissionReview has no request");
        }

        var uid = String(request, "uid");
        if (string.IsNullOrEmpty(uid))
        {
            throw new BadReviewException("request.uid is missing");
        }

        var (group, version, kind) = (Field(request, "kind", "group"), Field(request, "kind", "version"), Field(request, "kind", "kind"));
        var resource = $"{Field(request, "resource", "resource")}.{Field(request, "resource", "version")}.{Field(request, "resource", "group")}";
        if (group != NetworkingGroup || version != "v1" || kind != PolicyReader.Kind || resource != "networkpolicies.v1." + NetworkingGroup)
        {
            return new AdmissionRequest(uid, resource.Trim('.'), null);
        }

        var operation = String(request, "operation") switch
        {
            "CREATE" => Operation.Create,
            "UPDATE" => Operation.Update,
            "DELETE" => Operation.Delete,
            "CONNECT" => Operation.Connect,
            var other => throw new BadReviewException($"request.operation \"{other}\" is not CREATE, UPDATE, DELETE or CONNECT"),
        };

        var ns = String(request, "namespace");
        if (string.IsNullOrEmpty(ns))
        {
            throw new BadReviewException("request.namespace is missing (NetworkPolicies are namespaced)");
        }

        var requestName = String(request, "name");
        var shared = operation is Operation.Create or Operation.Update
            && requestName is { Length: > 0 }
            && baseline?.Find(new PolicyKey(ns, requestName)) is { ServedSpec: { } servedSpec } declared
                ? PolicyReader.SharedParts.Expecting(servedSpec, declared.Policy.Spec)
                : default;
        shared.KeepAnnotation = annotationMatters;
        var obj = Policy(request, "object", ns, required: operation is Operation.Create or Operation.Update, ref shared);
        var old = Policy(request, "oldObject", ns, required: operation is Operation.Update or Operation.Delete, ref shared);
        var name = (operation == Operation.Delete ? old?.Name : obj?.Name) is { Length: > 0 } objectName
            ? objectName
            : requestName ?? "";
        if (name.Length == 0)
        {
            throw new BadReviewException("neither the object's metadata.name nor request.name is set");
        }

        return new AdmissionRequest(uid, resource, new AdmissionInput(
            operation,
            ns,
            name,
            obj,
            old,
            ReadUser(request),
            request.TryGetProperty("dryRun", out var dryRun) && dryRun.ValueKind == JsonValueKind.True));
    }

    private static CanonicalPolicy? Policy(JsonElement request, string property, string ns, bool required, ref PolicyReader.SharedParts shared)
    {
        if (!request.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return required ? throw new BadReviewException($"request.{property} is missing for this operation") : null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new BadReviewException($"request.{property} is not an object");
        }

        var kind = String(value, "kind");
        var apiVersion = String(value, "apiVersion");
        if ((kind is not null && kind != PolicyReader.Kind) || (apiVersion is not null && apiVersion != PolicyReader.ApiVersion))
        {
            throw new BadReviewException($"request.{property} is {apiVersion} {kind}, but request.kind says {PolicyReader.ApiVersion} {PolicyReader.Kind}");
        }

        try
        {
            return PolicyReader.Read(value, ns, "default", ref shared);
        }
        catch (PolicyFormatException e)
        {
            throw new BadReviewException($"request.{property}.{e.Message}");
        }
    }

    private static UserInfo ReadUser(JsonElement request)
    {
        if (!request.TryGetProperty("userInfo", out var user) || user.ValueKind != JsonValueKind.Object)
        {
            throw new BadReviewException("request.userInfo is missing");
        }

        var groups = ImmutableArray<string>.Empty;
        if (user.TryGetProperty("groups", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            var names = ImmutableArray.CreateBuilder<string>(list.GetArrayLength());
            foreach (var group in list.EnumerateArray())
            {
                if (group.ValueKind == JsonValueKind.String)
                {
                    names.Add(group.GetString()!);
                }
            }

            groups = names.DrainToImmutable();
        }

        return new UserInfo(String(user, "username") ?? "", groups);
    }

    private static string? Field(JsonElement parent, string objectName, string field) =>
        parent.TryGetProperty(objectName, out var obj) && obj.ValueKind == JsonValueKind.Object ? String(obj, field) : null;

    private static string? String(JsonElement parent, string property) =>
        parent.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
