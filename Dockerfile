# AdmissionGuard webhook image.
#   docker build -t registry.example.com/platform/admissionguard:0.1.0 .
# For arm64 nodes: docker build --platform linux/arm64 --build-arg RID=linux-arm64 ...

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG RID=linux-x64
WORKDIR /src

# Restore first, from the project files only, so the package layer is reused until they change.
COPY Directory.Build.props ./
COPY src/AdmissionGuard.Core/AdmissionGuard.Core.csproj src/AdmissionGuard.Core/
COPY src/AdmissionGuard/AdmissionGuard.csproj src/AdmissionGuard/
RUN dotnet restore src/AdmissionGuard/AdmissionGuard.csproj -r "$RID"

COPY src/ src/
COPY examples/ examples/
# A runtime identifier keeps only that platform's LibGit2Sharp native library.
RUN dotnet publish src/AdmissionGuard/AdmissionGuard.csproj -c Release -r "$RID" --self-contained false \
      --no-restore -o /app

# kustomize renders the Kustomize sources of Git:Sources. Pinned by tag and digest: bump both together
# (docs/installing.md, "kustomize in the image"). Its binary, /app/kustomize, is static: it runs on chiseled.
FROM registry.k8s.io/kustomize/kustomize:v5.7.1@sha256:937e7832dc0b09288b1398399dadb97382a27bbc35bee8fdcac47c7de4fff14d AS kustomize

# Ubuntu chiseled: no shell, no package manager, runs as the non-root `app` user (UID 1654).
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled AS runtime
WORKDIR /app
COPY --from=build /app ./
# /usr/local/bin is on the image's PATH (the default PATH: the base sets none), so the guard finds
# `kustomize build` without AdmissionGuard__Git__Kustomize__Command. 0755: the non-root user runs it.
COPY --from=kustomize --chmod=0755 /app/kustomize /usr/local/bin/kustomize

# In-cluster defaults; the Deployment sets the same values explicitly.
# ASPNETCORE_HTTP_PORTS is cleared: the listeners come from Kestrel:Endpoints.
ENV ASPNETCORE_HTTP_PORTS= \
    Kestrel__Endpoints__Webhook__Url=https://0.0.0.0:8443 \
    Kestrel__Endpoints__Webhook__Certificate__Path=/etc/admissionguard/tls/tls.crt \
    Kestrel__Endpoints__Webhook__Certificate__KeyPath=/etc/admissionguard/tls/tls.key \
    Kestrel__Endpoints__Ops__Url=http://0.0.0.0:8080 \
    AdmissionGuard__Git__CacheDirectory=/var/cache/admissionguard

EXPOSE 8443 8080
USER $APP_UID
# `docker run IMAGE drift ...` and `docker run IMAGE check ...` run the other verbs.
ENTRYPOINT ["dotnet", "admissionguard.dll"]
CMD ["serve"]
