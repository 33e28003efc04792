# One image for every dfcache component: the scheduler and dfdaemon containers in k8s/ choose the
# component with their first argument (java -jar dfcache.jar <scheduler|dfdaemon|dfcache> ...).
#
#   docker build -t dfcache:0.1.0 .
#
# The build stage runs the same Maven build as CI, without tests (run `bin/test` first); the
# benchmark harness (src/bench) is not in the jar.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY src ./src
RUN mvn -B -q -DskipTests package

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 dfcache \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/dfcache --no-create-home dfcache \
 && mkdir -p /opt/dfcache /var/lib/dfcache \
 && chown 10001:10001 /var/lib/dfcache
COPY --from=build /src/target/dfcache.jar /opt/dfcache/dfcache.jar
USER 10001
WORKDIR /var/lib/dfcache
# scheduler: gRPC 8002, Artery 17355, management 7626; dfdaemon: gRPC 65000, uploads 65002
EXPOSE 8002 17355 7626 65000 65002 8080 65003
# JVM flags come from JDK_JAVA_OPTIONS (set in the manifests to match the memory limits)
ENTRYPOINT ["java", "-jar", "/opt/dfcache/dfcache.jar"]
CMD ["--help"]
