extension ContractCatalog {
    /// The canonical contracts, as data.
    ///
    /// Sources: `shared/seeds/backfill-canonical-expense-contract.txt` (expense,
    /// field for field, with its defaults and enums) and the record shapes of
    /// `shared/seeds/backfill-api-reference.txt` (every other type: the union of
    /// the record as returned and the create body). Choices where the seeds are
    /// silent or contradict each other, each a careful reading, not a guess:
    /// - Every record carries the identity `source_id` (required), `source_system`
    ///   (required) and `connection_id`; the canonical `id` and the store's
    ///   `created_at` / `updated_at` live outside the payload. A provider's own
    ///   `created_at` / `updated_at` are therefore not contract fields: like any
    ///   field a contract does not name, they are kept under
    ///   `metadata.<source_system>`.
    /// - Required = marked required in the record table or the create table of
    ///   a field the record carries (bill_payment: amount, currency, vendor_id).
    ///   Provider-native ids (`customer_id`, `credit_id`, …) are not required:
    ///   they fill `source_id`, which is.
    /// - `account` and `journal_entry` have no `metadata` in the API reference;
    ///   they get one here so that fields the contract does not name (the
    ///   provider's `created_at`, a list's `as_of_date`) are kept, not dropped.
    /// - Lines are always `lines` (the API's `line_items` is an alias), and all
    ///   money fields are `money`; quantities, unit amounts, rates and percents
    ///   are `decimal` and keep their precision.
    /// - Line shapes: `expense_line` is the contract's; `document_line` is the
    ///   union of the invoice, sales receipt, credit memo and vendor bill line
    ///   tables; `order_line` of refund receipt, vendor credit, quote, sales order
    ///   and purchase order; `deposit_line` of deposit (API reference §2.L).
    /// Format: `object NAME key=value…` (keys: collection, path, docdate,
    /// total, native, alias) or `shape NAME`, then one field a line:
    /// `name type [required] [enum=a,b] [default=JSON]`, where a type in
    /// `[…]` or `{…}` names a shape defined somewhere in the text.
    static let standardContracts = """
        shape tax_detail
          tax_detail_ref string required
          tax_name string
          tax_type string
          tax_code string
          jurisdiction_name string
          jurisdiction_code string
          jurisdiction_level string
          rate decimal
          taxable_amount money
          tax_amount money required
          amount_includes_tax bool required
          provider_key string
          provider_tax_rate_ref string
          provider_detail_ref string
          taxability_reason string
          ship_to_ref string
          ship_from_ref string
          fulfillment_ref string
          allocation_ref string
          metadata map

        shape detail
          type string required enum=item,discount,subtotal,description_only
          item_id string
          sku string
          quantity decimal
          unit_amount decimal
          account_id string
          class_id string
          location_id string
          product map
          discount_amount money
          discount_percent decimal
          basis_amount money
          subtotal_amount money
          metadata map

        shape expense_line
          line_number int
          line_key string
          line_type string enum=product,service,discount,tax,shipping,subtotal,description_only
          detail {detail}
          description string
          amount money
          quantity decimal
          class_id string
          location_id string
          tax_code string
          tax_amount money
          taxable_amount money
          tax_rate decimal
          tax_status string enum=taxable,exempt,zero_rated,reverse_charge,not_applicable
          tax_exempt_reason string
          amount_includes_tax bool
          tax_details [tax_detail]
          expense_account_id string
          expense_account_code string
          dimensions map
          metadata map

        shape document_line
          line_number int
          line_key string
          line_ref string
          line_type string enum=product,service,discount,tax,shipping,subtotal,description_only
          detail {detail}
          description string
          amount money
          quantity decimal
          unit_amount decimal
          discount_amount money
          account_id string
          account_code string
          item_id string
          product_id string
          product map
          sku string
          class_id string
          location_id string
          customer_id string
          currency string
          billable bool
          billing_period_start datetime
          billing_period_end datetime
          subscription_item_id string
          order_line_ref string
          fulfillment_line_ref string
          invoice_line_ref string
          reason_code string
          return_quantity decimal
          tax_code string
          tax_amount money
          taxable_amount money
          tax_rate decimal
          tax_status string enum=taxable,exempt,zero_rated,reverse_charge,not_applicable
          tax_exempt_reason string
          amount_includes_tax bool
          tax_details [tax_detail]
          dimensions map
          metadata map

        shape order_line
          line_number int
          line_key string
          line_type string enum=product,service,discount,tax,shipping,subtotal,description_only
          description string
          amount money
          quantity decimal
          unit_amount decimal
          account_id string
          account_code string
          class_id string
          location_id string
          tax_code string
          tax_amount money
          bill_line_ref string
          charge_line_ref string
          payment_line_ref string
          reason_code string
          billed_quantity decimal
          received_quantity decimal
          fulfilled_quantity decimal
          invoiced_quantity decimal
          dimensions map
          metadata map

        shape deposit_line
          line_number int
          line_key string
          line_ref string
          description string
          amount money
          currency string
          account_id string
          account_code string
          customer_id string
          payment_method string
          check_number string
          reference_number string
          source_document_id string
          source_document_number string
          source_document_type string
          dimensions map
          metadata map

        shape payment_allocation
          invoice_id string required
          amount money required
          allocated_at datetime

        shape bill_allocation
          bill_id string required
          amount money required
          allocated_on date

        shape item_location
          location_id string
          quantity_on_hand decimal
          reorder_point decimal

        shape invoice_customer
          id string
          name string
          email string
          metadata map

        object customer collection=customers path=/v1/customers native=customer_id
          customer_id string
          name string required
          company_name string
          email string
          phone string
          description string
          currency string
          balance money
          credit_limit money
          tax_exempt bool
          tax_ids objects
          address map
          billing_address map
          shipping_address map
          category_ids strings
          price_level_id string
          sales_rep_id string
          metadata map

        object vendor collection=vendors path=/v1/vendors native=vendor_id
          vendor_id string
          name string required
          company_name string
          email string
          phone string
          currency string
          tax_ids objects
          address map
          category_ids strings
          accounts_payable_account_id string
          default_expense_account_id string
          metadata map

        object item collection=items path=/v1/items native=product_id
          product_id string
          subsidiary_id string
          name string
          type string
          sku string
          description string
          active bool
          unit_label string
          unit_price decimal
          purchase_cost decimal
          is_purchased bool
          is_sold bool
          track_inventory bool
          quantity_on_hand decimal
          reorder_point decimal
          preferred_vendor_id string
          class_id string
          expense_account_id string
          revenue_account_id string
          asset_account_id string
          cogs_account_id string
          locations [item_location]
          metadata map

        object account collection=accounts path=/v1/accounts native=account_id
          account_id string
          subsidiary_id string
          name string required
          code string
          description string
          type string
          sub_type string
          account_type string
          normal_balance string
          active bool
          is_active bool
          balance money
          parent_name string
          slot string
          metadata map

        object invoice collection=invoices path=/v1/invoices docdate=issued_at total=total_amount
          subsidiary_id string
          currency string required
          status string
          document_number string
          document_date date
          effective_date date
          issued_at datetime
          due_at datetime
          customer {invoice_customer}
          customer_id string
          customer_name string
          memo string
          terms string
          subtotal money
          discount_amount money
          discount_details objects
          tax_amount money
          tax_behavior string
          total_amount money
          billing_address map
          shipping_address map
          shipping_details map
          ship_method string
          lines [document_line]
          metadata map

        object payment collection=payments path=/v1/payments
          amount money
          currency string
          status string
          customer_id string
          invoice_id string
          occurred_at datetime
          settled_at datetime
          net_amount money
          fees money
          exchange_rate decimal
          payment_method string
          payment_method_type string enum=check,credit_card,ach,cash,wire,other
          payment_method_details map
          reference_number string
          deposit_to_account_id string
          deposit_to_account_code string
          memo string
          allocations [payment_allocation]
          dimensions map
          metadata map

        object sales_receipt collection=sales_receipts path=/v1/sales_receipts docdate=receipt_date total=total_amount
          currency string required
          status string
          approval_status string
          document_number string
          document_date date
          effective_date date
          receipt_date date
          customer_id string
          location_id string
          register_id string
          sales_rep_id string
          payment_method string
          deposit_to_account_id string
          deposit_to_account_code string
          revenue_account_id string
          memo string
          ship_method string
          subtotal money
          discount_amount money
          tax_amount money
          total_amount money
          lines [document_line]
          dimensions map
          metadata map

        object credit_memo collection=credit_memos path=/v1/credit_memos docdate=issued_at total=total_amount
          currency string required
          status string
          approval_status string
          document_number string
          document_date date
          effective_date date
          issued_at datetime
          applied_at datetime
          refunded_at datetime
          customer_id string
          invoice_id string
          reason_code string
          total_amount money
          lines [document_line]
          dimensions map
          metadata map

        object refund_receipt collection=refund_receipts path=/v1/refund_receipts docdate=refund_date total=total_amount native=refund_id
          refund_id string
          currency string required
          status string
          document_number string
          document_date date
          effective_date date
          refund_date datetime
          customer_id string
          customer_name string
          charge_id string
          payment_id string
          reason string
          net_amount money
          total_amount money required
          lines [order_line]
          metadata map

        object vendor_bill collection=vendor_bills path=/v1/vendor_bills docdate=bill_date total=total_amount
          currency string required
          status string
          approval_status string
          document_number string
          document_date date
          effective_date date
          bill_date date
          due_date date
          paid_date date
          vendor_id string
          purchase_order_id string
          is_1099_eligible bool
          form_1099_type string
          total_amount money
          lines [document_line]
          dimensions map
          metadata map

        object bill_payment collection=bill_payments path=/v1/bill_payments
          amount money required
          currency string required
          vendor_id string required
          bill_id string
          status string
          approval_status string
          payment_date date
          payment_number string
          payment_method string
          payment_method_type string enum=check,credit_card,ach,cash,wire,other
          payment_method_details map
          is_1099_eligible bool
          form_1099_type string
          allocations [bill_allocation]
          metadata map

        object expense collection=expenses path=/v1/expenses docdate=expense_date total=amount alias=line_items:lines
          subsidiary_id string
          amount money required
          currency string required
          tax_amount money
          approval_status string enum=draft,pending_approval,approved,rejected,void
          document_date date
          effective_date date
          expense_date date
          status string required
          category string
          description string
          memo string
          expense_account_id string
          expense_account_code string
          vendor_id string
          vendor_name string
          is_1099_eligible bool
          form_1099_type string
          payment_method string
          payment_method_type string enum=check,credit_card,ach,cash,wire,other
          payment_method_details map default={}
          payment_account_id string
          lines [expense_line] default=[]
          dimensions map default={}
          metadata map default={}

        object vendor_credit collection=vendor_credits path=/v1/vendor_credits docdate=credit_date total=total_amount native=credit_id
          credit_id string
          currency string required
          status string
          approval_status string
          application_status string
          document_number string
          document_date date
          effective_date date
          credit_date date
          vendor_id string
          vendor_name string
          description string
          amount_remaining money
          total_amount money required
          lines [order_line]
          metadata map

        object quote collection=quotes path=/v1/quotes total=total_amount native=quote_id
          quote_id string
          currency string required
          status string
          approval_status string
          document_number string
          issued_at datetime
          expires_at datetime
          customer_id string
          customer_name string
          description string
          total_amount money required
          lines [order_line]
          metadata map

        object sales_order collection=sales_orders path=/v1/sales_orders total=total_amount native=sales_order_id
          sales_order_id string
          currency string required
          status string
          approval_status string
          document_number string
          issued_at datetime
          customer_id string
          customer_name string
          total_amount money required
          lines [order_line]
          metadata map

        object purchase_order collection=purchase_orders path=/v1/purchase_orders total=total_amount native=po_id
          po_id string
          currency string required
          approval_status string
          document_number string
          issued_at datetime
          expected_date date
          vendor_id string
          vendor_name string
          description string
          total_amount money required
          lines [order_line]
          metadata map

        object bank_account collection=bank_accounts path=/v1/bank/accounts native=bank_account_id
          bank_account_id string
          name string required
          account_type string
          institution_name string
          mask string
          currency string
          status string
          current_balance money
          available_balance money
          balance_as_of datetime
          last_import_at datetime
          last_transaction_date date
          gl_account_id string
          gl_account_code string
          metadata map

        object bank_transaction collection=bank_transactions path=/v1/bank/transactions native=transaction_id
          transaction_id string
          bank_account_id string required
          amount money required
          currency string
          posted_at datetime required
          status string
          transaction_type string
          description string
          merchant_name string
          category string
          check_number string
          reference_number string
          running_balance money
          customer_id string
          vendor_id string
          expense_account_id string
          expense_account_code string
          revenue_account_id string
          revenue_account_code string
          transfer_account_id string
          transfer_account_code string
          metadata map

        object bank_transfer collection=bank_transfers path=/v1/bank_transfers
          amount money required
          currency string required
          status string required
          transfer_date date required
          transfer_number string
          from_account_id string required
          from_account_code string
          to_account_id string required
          to_account_code string
          approved_at datetime
          approved_by string
          memo string
          dimensions map
          metadata map

        object deposit collection=deposits path=/v1/deposits total=total_amount alias=line_items:lines
          currency string required
          status string
          document_number string
          deposit_date date
          deposit_to_account_id string
          deposit_to_account_code string
          cashback_account_id string
          cashback_amount money
          cashback_memo string
          memo string
          total_amount money
          lines [deposit_line]
          dimensions map
          metadata map

        object journal_entry collection=journal_entries path=/v1/journal_entries native=entry_number
          entry_number string
          entry_date date required
          status string
          memo string
          account_code string
          account_name string
          debit_amount money
          credit_amount money
          line_memo string
          dimensions map
          metadata map
        """
}
