using System.Buffers;
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
/// <remarks>
/// One forward-only pass over the body, without building a document: most of a review is server metadata
/// (<c>managedFields</c>) that is only skipped. The whole body is still checked to be JSON.
/// </remarks>
public static class AdmissionReviewReader
{
    private const string NetworkingGroup = "networking.k8s.io";
    private const string NetworkingVersion = "v1";
    private const string NetworkPoliciesResource = "networkpolicies";
    private const string ReviewApiVersion = "admission.k8s.io/v1";
    private const string ReviewKind = "AdmissionReview";
    private const string NetworkPolicies = "networkpolicies.v1." + NetworkingGroup;
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 128 };

    public const int MaxUidLength = 128;

    /// <param name="body">The request body.</param>
    /// <param name="knownSpecs">Specs known in advance (the baseline the request will be judged against): a spec the API
    /// server sends exactly as one of them is recognised without being read.</param>
    /// <param name="annotationMatters">Annotations a decision can depend on; the others are left out unread (<see cref="DecisionSettings.AnnotationMatters"/>).</param>
    /// <param name="labelsMatter">Whether a decision can depend on labels; if not they are checked, not kept (<see cref="DecisionSettings.LabelsMatter"/>).</param>
    public static AdmissionRequest Read(ReadOnlySequence<byte> body, IKnownSpecs? knownSpecs = null, AnnotationFilter? annotationMatters = null, bool labelsMatter = true)
    {
        byte[]? rented = null;
        ReadOnlyMemory<byte> json;
        if (body.IsSingleSegment)
        {
            json = body.First;
        }
        else
        {
            rented = ArrayPool<byte>.Shared.Rent((int)body.Length);
            body.CopyTo(rented);
            json = rented.AsMemory(0, (int)body.Length);
        }

        try
        {
            var review = Scan(json, annotationMatters, labelsMatter);
            return Interpret(review, knownSpecs);
        }
        catch (JsonException e)
        {
            throw new BadReviewException($"body is not JSON: {e.Message.ReplaceLineEndings(" ")}");
        }
        catch (InvalidOperationException e)
        {
            // GetString refuses escaped lone surrogates ("\ud800"), which the parser lets through.
            throw new BadReviewException($"body has a string that is not valid Unicode: {e.Message.ReplaceLineEndings(" ")}");
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>What the pass found; the checks run afterwards, in the order their messages matter.</summary>
    private sealed class ReviewFields
    {
        public bool RootIsObject;
        public string? ApiVersion;
        public string? Kind;
        public bool RequestSeen;
        public bool HasRequest;
        public string? Uid;
        public string? Group;
        public string? Version;
        public string? KindName;
        public string? ResourceGroup;
        public string? ResourceVersion;
        public string? ResourceName;
        public string? Name;
        public string? Namespace;
        public string? Operation;
        public bool HasUser;
        public string? Username;
        public ImmutableArray<string> Groups = [];
        public PolicyValue Object;
        public PolicyValue OldObject;
        public bool DryRun;
    }

    /// <summary>request.object or request.oldObject: absent or null, not an object, or scanned.</summary>
    private readonly record struct PolicyValue(bool Present, bool IsObject, PolicyScan? Scan);

    private static ReviewFields Scan(ReadOnlyMemory<byte> json, AnnotationFilter? annotationMatters, bool labelsMatter)
    {
        var fields = new ReviewFields();
        var reader = new Utf8JsonReader(json.Span, Options);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            ReadToEnd(ref reader);
            return fields;
        }

        fields.RootIsObject = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("apiVersion"u8))
            {
                fields.ApiVersion = JsonReaderSteps.NextString(ref reader, ReviewApiVersion);
            }
            else if (reader.ValueTextEquals("kind"u8))
            {
                fields.Kind = JsonReaderSteps.NextString(ref reader, ReviewKind);
            }
            else if (reader.ValueTextEquals("request"u8))
            {
                // A repeated key replaces the first, as in Go's decoder: nothing of the first request is kept.
                if (fields.RequestSeen)
                {
                    fields = new ReviewFields { RootIsObject = true, ApiVersion = fields.ApiVersion, Kind = fields.Kind };
                }

                fields.RequestSeen = true;
                reader.Read();
                fields.HasRequest = reader.TokenType == JsonTokenType.StartObject;
                if (fields.HasRequest)
                {
                    ReadRequest(ref reader, json, fields, annotationMatters, labelsMatter);
                }
                else
                {
                    reader.Skip();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        ReadToEnd(ref reader);
        return fields;
    }

    private static void ReadRequest(ref Utf8JsonReader reader, ReadOnlyMemory<byte> json, ReviewFields fields, AnnotationFilter? annotationMatters, bool labelsMatter)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("uid"u8))
            {
                fields.Uid = JsonReaderSteps.NextString(ref reader);
            }
            else if (reader.ValueTextEquals("kind"u8))
            {
                reader.Read();
                ReadTriple(ref reader, "group"u8, "version"u8, "kind"u8, PolicyReader.Kind, out fields.Group, out fields.Version, out fields.KindName);
            }
            else if (reader.ValueTextEquals("resource"u8))
            {
                reader.Read();
                ReadTriple(ref reader, "group"u8, "version"u8, "resource"u8, NetworkPoliciesResource, out fields.ResourceGroup, out fields.ResourceVersion, out fields.ResourceName);
            }
            else if (reader.ValueTextEquals("name"u8))
            {
                fields.Name = JsonReaderSteps.NextString(ref reader);
            }
            else if (reader.ValueTextEquals("namespace"u8))
            {
                fields.Namespace = JsonReaderSteps.NextString(ref reader);
            }
            else if (reader.ValueTextEquals("operation"u8))
            {
                fields.Operation = JsonReaderSteps.NextString(ref reader, "CREATE", "UPDATE", "DELETE", "CONNECT");
            }
            else if (reader.ValueTextEquals("userInfo"u8))
            {
                reader.Read();
                ReadUser(ref reader, fields);
            }
            else if (reader.ValueTextEquals("object"u8))
            {
                reader.Read();
                fields.Object = ReadPolicy(ref reader, json, annotationMatters, labelsMatter, fields);
            }
            else if (reader.ValueTextEquals("oldObject"u8))
            {
                reader.Read();
                fields.OldObject = ReadPolicy(ref reader, json, annotationMatters, labelsMatter, fields);
            }
            else if (reader.ValueTextEquals("dryRun"u8))
            {
                reader.Read();
                fields.DryRun = reader.TokenType == JsonTokenType.True;
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static PolicyValue ReadPolicy(ref Utf8JsonReader reader, ReadOnlyMemory<byte> json, AnnotationFilter? annotationMatters, bool labelsMatter, ReviewFields fields)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return default;
            case JsonTokenType.StartObject:
                return new PolicyValue(true, true, PolicyScan.Read(ref reader, json, annotationMatters, labelsMatter, fields.Name, fields.Namespace));
            default:
                reader.Skip();
                return new PolicyValue(true, false, null);
        }
    }

    private static void ReadUser(ref Utf8JsonReader reader, ReviewFields fields)
    {
        // A repeated userInfo replaces the first: groups must never carry over to another user.
        (fields.Username, fields.Groups) = (null, []);
        fields.HasUser = reader.TokenType == JsonTokenType.StartObject;
        if (!fields.HasUser)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("username"u8))
            {
                fields.Username = JsonReaderSteps.NextString(ref reader);
            }
            else if (reader.ValueTextEquals("groups"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    reader.Skip();
                    fields.Groups = [];
                    continue;
                }

                var groups = ImmutableArray.CreateBuilder<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        groups.Add(reader.GetString()!);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }

                fields.Groups = groups.DrainToImmutable();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    /// <summary>
    /// Three string fields of an object such as request.kind (group, version and <paramref name="expectedThird"/>,
    /// expected to be networking.k8s.io and v1); nulls when it is not an object.
    /// </summary>
    private static void ReadTriple(
        ref Utf8JsonReader reader, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, ReadOnlySpan<byte> third, string expectedThird,
        out string? firstValue, out string? secondValue, out string? thirdValue)
    {
        (firstValue, secondValue, thirdValue) = (null, null, null);
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(first))
            {
                firstValue = JsonReaderSteps.NextString(ref reader, NetworkingGroup);
            }
            else if (reader.ValueTextEquals(second))
            {
                secondValue = JsonReaderSteps.NextString(ref reader, NetworkingVersion);
            }
            else if (reader.ValueTextEquals(third))
            {
                thirdValue = JsonReaderSteps.NextString(ref reader, expectedThird);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    /// <summary>Only whitespace may follow the review: anything else is not one JSON value.</summary>
    private static void ReadToEnd(ref Utf8JsonReader reader)
    {
        if (reader.Read())
        {
            throw new BadReviewException("body is not JSON: more than one value");
        }
    }

    private static AdmissionRequest Interpret(ReviewFields review, IKnownSpecs? knownSpecs)
    {
        if (!review.RootIsObject || review.ApiVersion != ReviewApiVersion || review.Kind != ReviewKind)
        {
            throw new BadReviewException("body is not an admission.k8s.io/v1 AdmissionReview (apiVersion and kind)");
        }

        if (!review.HasRequest)
        {
            throw new BadReviewException("AdmissionReview has no request");
        }

        var uid = review.Uid;
        if (string.IsNullOrEmpty(uid))
        {
            throw new BadReviewException("request.uid is missing");
        }

        // The answer echoes the uid, so its length bounds the answer's; API servers send 36-character UUIDs.
        if (uid.Length > MaxUidLength)
        {
            throw new BadReviewException($"request.uid {Excerpt.Quoted(uid, 40)} is {uid.Length} characters long; an API server sends a UUID ({MaxUidLength} at most here)");
        }

        if (review.Group != NetworkingGroup || review.Version != NetworkingVersion || review.KindName != PolicyReader.Kind
            || review.ResourceName != NetworkPoliciesResource || review.ResourceVersion != NetworkingVersion || review.ResourceGroup != NetworkingGroup)
        {
            RequireKindAgrees(review.Object, "object", review);
            RequireKindAgrees(review.OldObject, "oldObject", review);
            return new AdmissionRequest(uid, Excerpt.Of($"{review.ResourceName}.{review.ResourceVersion}.{review.ResourceGroup}".Trim('.')), null);
        }

        var operation = review.Operation switch
        {
            "CREATE" => Operation.Create,
            "UPDATE" => Operation.Update,
            "DELETE" => Operation.Delete,
            "CONNECT" => Operation.Connect,
            var other => throw new BadReviewException($"request.operation {Excerpt.Quoted(other)} is not CREATE, UPDATE, DELETE or CONNECT"),
        };

        var ns = review.Namespace;
        if (string.IsNullOrEmpty(ns))
        {
            throw new BadReviewException("request.namespace is missing (NetworkPolicies are namespaced)");
        }

        var requestName = review.Name;
        var shared = operation is Operation.Create or Operation.Update
            && requestName is { Length: > 0 }
            && knownSpecs is not null && knownSpecs.TryGet(new PolicyKey(ns, requestName), out var servedDigest, out var knownSpec)
                ? PolicyReader.SharedParts.Expecting(servedDigest, knownSpec)
                : default;
        var obj = Policy(review.Object, "object", ns, required: operation is Operation.Create or Operation.Update, ref shared);
        var old = Policy(review.OldObject, "oldObject", ns, required: operation is Operation.Update or Operation.Delete, ref shared);
        var name = (operation == Operation.Delete ? old?.Name : obj?.Name) is { Length: > 0 } objectName
            ? objectName
            : requestName ?? "";
        if (name.Length == 0)
        {
            throw new BadReviewException("neither the object's metadata.name nor request.name is set");
        }

        if (!review.HasUser)
        {
            throw new BadReviewException("request.userInfo is missing");
        }

        return new AdmissionRequest(uid, NetworkPolicies, new AdmissionInput(
            operation,
            ns,
            name,
            obj,
            old,
            new UserInfo(review.Username ?? "", review.Groups),
            review.DryRun));
    }

    /// <summary>An object of another kind than request.kind says: no API server sends that, so it is not answered as if it were one.</summary>
    private static void RequireKindAgrees(PolicyValue value, string property, ReviewFields review)
    {
        if (value.Scan is not { } scan)
        {
            return;
        }

        var apiVersion = string.IsNullOrEmpty(review.Group) ? review.Version : $"{review.Group}/{review.Version}";
        if ((scan.Kind is not null && scan.Kind != review.KindName) || (scan.ApiVersion is not null && scan.ApiVersion != apiVersion))
        {
            throw new BadReviewException(
                $"request.{property} is {Excerpt.Of(scan.ApiVersion, 60)} {Excerpt.Of(scan.Kind, 60)}, but request.kind says {Excerpt.Of(apiVersion, 60)} {Excerpt.Of(review.KindName, 60)}");
        }
    }

    private static CanonicalPolicy? Policy(PolicyValue value, string property, string ns, bool required, ref PolicyReader.SharedParts shared)
    {
        if (!value.Present)
        {
            return required ? throw new BadReviewException($"request.{property} is missing for this operation") : null;
        }

        if (!value.IsObject)
        {
            throw new BadReviewException($"request.{property} is not an object");
        }

        var scan = value.Scan!;
        if ((scan.Kind is not null && scan.Kind != PolicyReader.Kind) || (scan.ApiVersion is not null && scan.ApiVersion != PolicyReader.ApiVersion))
        {
            throw new BadReviewException($"request.{property} is {Excerpt.Of(scan.ApiVersion, 60)} {Excerpt.Of(scan.Kind, 60)}, but request.kind says {PolicyReader.ApiVersion} {PolicyReader.Kind}");
        }

        try
        {
            return PolicyReader.Read(scan, ns, "default", ref shared);
        }
        catch (PolicyFormatException e)
        {
            throw new BadReviewException($"request.{property}.{e.Message}");
        }
    }
}
