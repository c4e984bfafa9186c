extension ImportRun {
    struct Rejected {
        let issues: [RecordIssue]
        let raw: String
    }

    /// The store-free half of a record's way: normalize, validate, and the
    /// stored form with its hash. Runs on the read-ahead thread, so it may
    /// use nothing but these value types. While most records are found
    /// unchanged (`FastPathHint`), a record with a fingerprint is left
    /// unnormalized: the store thread compares fingerprints first, and
    /// normalizes only the records that miss.
    var preparer: Preparers {
        let made: @Sendable (RawRecord) -> PreparedRecord = { [normalizer, validator, differ, fingerprinter, hint] raw in
            // Unreadable as a record: rejected for that alone (see `handle`).
            if raw.issues.contains(where: { $0.field == nil }) { return PreparedRecord(raw: raw, record: nil, content: nil) }
            let fingerprint = fingerprinter?.fingerprint(of: raw)
            if fingerprint != nil, hint.expectsUnchanged, let identity = normalizer.likelyIdentity(raw) {
                return PreparedRecord(raw: raw, record: nil, content: nil, fingerprint: fingerprint, deferred: identity)
            }
            return Self.prepare(raw, fingerprint: fingerprint, normalizer: normalizer, validator: validator, differ: differ)
        }
        // An unmade record is left unmade only for the fast path, while
        // nearly every record takes it: its shell has the made record's
        // fingerprint and likely identity.
        let unmade: @Sendable (any UnmadeRecord) -> PreparedRecord = { [normalizer, fingerprinter, hint] record in
            if let fingerprinter, hint.expectsAllUnchanged {
                let shell = record.shell()
                if let fingerprint = fingerprinter.fingerprint(of: shell), let identity = normalizer.likelyIdentity(shell) {
                    return PreparedRecord(
                        raw: shell, record: nil, content: nil, fingerprint: fingerprint, deferred: identity, unmade: record)
                }
            }
            return made(record.make())
        }
        return Preparers(made: made, unmade: unmade)
    }

    /// Normalizes, validates and serializes one record: on a read-ahead
    /// thread, or on the store thread for a deferred record that missed.
    static func prepare(
        _ raw: RawRecord, fingerprint: [UInt8]?, normalizer: Normalizer, validator: Validator, differ: Differ
    ) -> PreparedRecord {
        var record = normalizer.normalize(raw)
        validator.validate(&record, objectType: raw.objectType)
        guard record.issues.isEmpty, let identity = record.identity else {
            return PreparedRecord(raw: raw, record: record, content: nil)
        }
        // The id it gets if it is new, derived here rather than on the
        // store's thread, which is the busier one when records are created.
        if record.canonicalID == nil { record.canonicalID = identity.derivedCanonicalID }
        var content = differ.content(of: record.payload)
        let contract = normalizer.catalog.contract(for: identity.objectType)
        content.stored = StoredForm.compactBytes(
            of: content, payload: record.payload, identity: identity, currency: record.payload["currency"]?.stringValue,
            contract: contract)
        content.columns = QueryColumns(values: record.payload, contract: contract)
        return PreparedRecord(raw: raw, record: record, content: content, fingerprint: fingerprint)
    }

    /// One prepared record through dedupe → diff → apply.
    /// Returns the issues when the record is rejected.
    func handle(_ prepared: PreparedRecord, input: Int, counts: inout RunCounts) throws -> Rejected? {
        var raw = prepared.raw
        // An unreadable record is rejected for that alone (below), even when
        // its parent was rejected too; any other record of a rejected parent
        // is rejected for that, before the fast path could count it.
        let unreadable = prepared.record == nil && prepared.deferred == nil
        if !unreadable, let parent = raw.parent, rejectedIdentities.contains(parent.key) {
            counts.failed += 1
            let issue = RecordIssue(
                origin: raw.origin, sourceID: raw.declaredSourceID, field: nil, code: .parentRejected,
                message: "not applied because its \(parent.objectType) \(parent.sourceID) was rejected")
            observer.recordRejected([issue], rawText: raw.rawText)
            return Rejected(issues: [issue], raw: raw.rawText)
        }
        var prepared = prepared
        // A deferred record's lookup, kept for the slow path if it misses.
        var looked: (identity: RecordIdentity, record: StoredRecord?)?
        let deferred = prepared.deferred != nil
        if let identity = prepared.deferred {
            let found = try store.lookup(identity)
            if try takeFastPath(prepared, identity: identity, stored: found, input: input, counts: &counts) { return nil }
            // A miss: made, if it was not, and normalized here after all.
            raw = prepared.unmade?.make() ?? raw
            prepared = Self.prepare(
                raw, fingerprint: prepared.fingerprint, normalizer: normalizer, validator: validator, differ: differ)
            looked = (identity, found)
        }
        // An issue that names no field means the input could not be read as a
        // record at all (a ragged CSV row, a bill that is not an object): every
        // further error would be about the wrong column or a missing shape.
        // Such a record was never normalized.
        guard let record = prepared.record else {
            counts.failed += 1
            observer.recordRejected(raw.issues, rawText: raw.rawText)
            return Rejected(issues: raw.issues, raw: raw.rawText)
        }
        guard record.issues.isEmpty, let identity = record.identity, let content = prepared.content else {
            counts.failed += 1
            if let identity = record.identity { rejectedIdentities.insert(identity.key) }
            var issues = record.issues
            if issues.isEmpty {
                issues.append(RecordIssue(origin: raw.origin, field: "source_id", code: .missingRequired, message: "is required"))
            }
            observer.recordRejected(issues, rawText: raw.rawText)
            return Rejected(issues: issues, raw: raw.rawText)
        }

        // The record as the store holds it (a deferred record's was read for
        // the fast path): its row lets the scratch know a repeat of a record
        // that the fast path met first.
        let stored: StoredRecord?
        if let looked, looked.identity == identity { stored = looked.record } else { stored = try store.lookup(identity) }
        let seen: RunScratchEntry?
        if writes && stored == nil {
            try self.seen.claimNew(identity, input: input, line: raw.origin.line)
            seen = nil
        } else {
            seen = try self.seen.claim(identity, row: stored?.row, input: input, line: raw.origin.line)
        }
        if let seen, seen.input == input {
            counts.failed += 1
            rejectedIdentities.insert(identity.key)
            let firstAt = seen.line.map { "line \($0)" } ?? "earlier in this input"
            let here = raw.origin.line.map { "line \($0)" } ?? "here"
            let issue = RecordIssue(
                origin: raw.origin, sourceID: identity.sourceID, field: "source_id", code: .duplicateIdentity,
                message: "'\(identity.sourceID)' appears again (\(here)); it was first on \(firstAt). "
                    + "The later row is rejected rather than silently overwriting the first")
            observer.recordRejected([issue], rawText: raw.rawText)
            return Rejected(issues: [issue], raw: raw.rawText)
        }

        // A dry run diffs against what earlier inputs of this run would have
        // written; an applied run finds that in the store itself.
        let existing: StoredRecord?
        if !writes, let seen, let hash = seen.contentHash, let payload = seen.payload, let id = seen.id {
            existing = StoredRecord(id: id, contentHash: hash, payload: payload)
        } else {
            existing = stored
        }
        // The stored fingerprint decides when it matches, whether or not the
        // record was normalized first: one rule, wherever it was prepared.
        let matches = existing?.isUnchanged(byFingerprint: prepared.fingerprint) ?? false
        // A deferred record's outcome was counted by `takeFastPath`.
        if !deferred { hint.record(unchangedByFingerprint: matches) }
        var change: RecordChange
        if matches, let existing {
            change = .unchanged(identity, stored: existing, origin: raw.origin)
        } else {
            change = differ.classify(
                identity: identity, payload: record.payload, content: content, origin: raw.origin,
                canonicalID: record.canonicalID, existing: existing)
            change.fingerprint = prepared.fingerprint
            if change.action == .unchanged, prepared.fingerprint != nil { change.refreshesFingerprint = writes }
        }
        if let parent = raw.parent {
            let owner = try store.lookup(parent)
            change.parentID = owner?.id ?? parent.derivedCanonicalID
            change.parentRow = owner?.row
        }
        if writes, let runID {
            try applier.apply(change, runID: runID, now: startedAt)
        }
        if seen != nil { try self.seen.move(identity, to: input, line: raw.origin.line) }
        // Only a dry run needs the content: it stands in for the store.
        if !writes && change.action != .unchanged { try self.seen.keep(change) }
        count(change.action, in: &counts)
        observer.recordProcessed(change)
        if let owned = raw.ownedChildren {
            try removeChildren(of: change, except: owned, origin: raw.origin, counts: &counts)
        }
        return nil
    }

    /// The fast path: a deferred record whose fingerprint equals the stored
    /// one is that record, unchanged, with nothing to normalize or compare.
    /// Anything else (no such record, removed, another fingerprint, or seen
    /// earlier in this run, where the scratch rather than the store says what
    /// it is) goes the slow way, which classifies it the same.
    private func takeFastPath(
        _ prepared: PreparedRecord, identity: RecordIdentity, stored: StoredRecord?, input: Int, counts: inout RunCounts
    ) throws -> Bool {
        let raw = prepared.raw
        guard let stored, stored.isUnchanged(byFingerprint: prepared.fingerprint) else {
            hint.record(unchangedByFingerprint: false)
            return false
        }
        // A first sighting is recorded here; a repeat changes nothing and is
        // met again, the same, by the slow path.
        guard try seen.claimUnchanged(identity, row: stored.row, input: input, line: raw.origin.line) else { return false }
        hint.record(unchangedByFingerprint: true)
        let change = RecordChange.unchanged(identity, stored: stored, origin: raw.origin)
        count(.unchanged, in: &counts)
        observer.recordProcessed(change)
        if let owned = raw.ownedChildren {
            try removeChildren(of: change, except: owned, origin: raw.origin, counts: &counts)
        }
        return true
    }

    private func count(_ action: ChangeAction, in counts: inout RunCounts) {
        switch action {
        case .create: counts.created += 1
        case .update: counts.updated += 1
        case .unchanged: counts.unchanged += 1
        case .remove: counts.removed += 1
        }
    }

    /// The input stated the complete set of this record's children: those in
    /// the store and not in the set are marked removed (a tombstone version,
    /// never a physical delete). A dry run reports them the same way.
    private func removeChildren(
        of parent: RecordChange, except owned: RawRecord.OwnedChildren, origin: Origin,
        counts: inout RunCounts
    ) throws {
        for child in try store.liveChildren(parentID: parent.id, parent: parent.identity, objectType: owned.objectType)
        where !owned.sourceIDs.contains(child.identity.sourceID) {
            let removal = RecordChange(
                action: .remove, identity: child.identity, id: child.id, origin: origin,
                fields: [FieldChange(path: "removed_at", from: nil, to: .string(startedAt))],
                payload: [], contentHash: "", parentID: parent.id)
            if writes, let runID { try applier.apply(removal, runID: runID, now: startedAt) }
            count(.remove, in: &counts)
            observer.recordProcessed(removal)
        }
    }
}
