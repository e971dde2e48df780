# adamec-silo image (Debian 12 based, like the development machine; the build step patches
# libLibTorchSharp's GLIBCXX version-need, see build/TorchSharpNative.targets).
# Build from the repository root: docker build -f docker/silo.Dockerfile .   (context filtered by .dockerignore)
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Silo -c Release -o /app

# The silo serves HTTP (operator page, dashboard, /metrics) when asked: the ASP.NET Core runtime image.
FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# Non-root; verified atom weights are cached on a volume so a restarted silo does not pull them again.
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin adamec \
    && mkdir -p /var/cache/adamec && chown adamec /var/cache/adamec
USER 10001
ENV ADAMEC_Device__CacheDirectory=/var/cache/adamec
VOLUME ["/var/cache/adamec"]
EXPOSE 11111 30000 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "adamec-silo.dll"]
