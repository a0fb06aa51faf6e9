using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

// The ceiling bench/load.sh compares AdmissionGuard with: Kestrel over the same TLS certificate, a
// handler that reads the body, parses the AdmissionReview into a JsonDocument and answers allowed
// with the request's uid. Configured like the guard: Kestrel:Endpoints:Webhook:Url and :Certificate.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);

// As in the guard: no per-request logging scope or Activity from the hosting layer, so that the
// comparison counts only what the guard does beyond this handler.
builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
builder.WebHost.UseKestrelHttpsConfiguration();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
var app = builder.Build();

app.MapPost("/validate", async (HttpContext context) =>
{
    var reader = context.Request.BodyReader;
    ReadResult read;
    while (true)
    {
        read = await reader.ReadAsync(context.RequestAborted);
        if (read.IsCompleted)
        {
            break;
        }

        reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
    }

    string uid;
    using (var review = JsonDocument.Parse(read.Buffer))
    {
        uid = review.RootElement.GetProperty("request").GetProperty("uid").GetString() ?? "";
    }

    reader.AdvanceTo(read.Buffer.End);
    context.Response.ContentType = "application/json";
    using (var json = new Utf8JsonWriter(context.Response.BodyWriter))
    {
        json.WriteStartObject();
        json.WriteString("apiVersion", "admission.k8s.io/v1");
        json.WriteString("kind", "AdmissionReview");
        json.WriteStartObject("response");
        json.WriteString("uid", uid);
        json.WriteBoolean("allowed", true);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
});

app.Run();
